// emscripten's Node glue (inside tfjs-backend-wasm) adds process-wide handlers when a wasm module starts:
// one rethrows every uncaught exception (so the process exits with code 7, and a host's own handler, such as
// the backend process's error reporting, cannot keep it alive) and one throws every unhandled rejection.
// They serve emscripten's standalone programs, not a library inside ours, so we take them out again.

/** True for the two handlers emscripten installs (recognised by their source, not by timing). */
function isEmscriptenHandler(event: string, listener: (...args: unknown[]) => void): boolean {
  const source = String(listener);
  if (event === 'uncaughtException') return source.includes('ExitStatus') && source.includes('throw');
  if (event === 'unhandledRejection') return /throw reason/.test(source);
  return false;
}

/**
 * Runs `start` (which starts a wasm module) and removes emscripten's process handlers as soon as they are
 * added: a microtask later, before any worker event can reach them.
 */
export async function withoutEmscriptenProcessHandlers<T>(start: () => Promise<T>): Promise<T> {
  const onNewListener = (event: string | symbol, listener: (...args: unknown[]) => void) => {
    if (typeof event !== 'string' || !isEmscriptenHandler(event, listener)) return;
    queueMicrotask(() => process.removeListener(event, listener));
  };
  process.on('newListener', onNewListener);
  try {
    return await start();
  } finally {
    process.removeListener('newListener', onNewListener);
  }
}
