// tfjs and emscripten log with console.log; the backend process speaks JSON-RPC on stdout and the CLI keeps
// stdout for --json, so every console method that would write to stdout is sent to stderr instead.
import { Console } from 'node:console';

const STDOUT_METHODS = ['log', 'info', 'debug', 'dir', 'dirxml', 'table', 'group', 'groupCollapsed', 'count', 'timeLog', 'timeEnd'] as const;

let routed = false;

/**
 * Routes console output that Node would print on stdout to stderr, for the rest of the process.
 * Idempotent. Code that means to write to stdout must use `process.stdout.write`.
 */
export function routeConsoleToStderr(): void {
  if (routed) return;
  const toStderr = new Console({ stdout: process.stderr, stderr: process.stderr });
  const target = console as unknown as Record<string, unknown>;
  for (const method of STDOUT_METHODS) {
    target[method] = (toStderr[method] as (...args: unknown[]) => void).bind(toStderr);
  }
  routed = true;
}
