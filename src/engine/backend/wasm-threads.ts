// Forces the threaded SIMD build of the tfjs wasm backend in Node, where tfjs disables it (tfjs issue 3830).
//
// tfjs hands emscripten its pthread worker and main script as Blob URLs, which Node's worker_threads cannot
// load. We write both as real files (in a private temporary folder, removed once the threads run) and answer
// emscripten's URL.createObjectURL with their paths. The build also sizes its thread pool as
// min(requested, 8, logical cores / 2); we report twice the requested threads as cores while the module
// starts, so the requested count is what runs.
import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import threadedSimdFactory from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
import { wasmWorkerContents } from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import workerThreads, { type Worker } from 'node:worker_threads';
import os from 'node:os';
import { join } from 'node:path';
import { withoutEmscriptenProcessHandlers } from './emscripten-process-handlers';

/** The threaded build pre-creates 8 workers and caps its pool there. */
export const MAX_WASM_THREADS = 8;

/** Test hooks for the threaded start-up. */
export interface WasmThreadOptions {
  /** Code run at the top of every worker before emscripten's own (tests inject a failure here). */
  workerPreamble?: string;
  /** How long the threaded module may take to start before we give up on it (ms). */
  startTimeoutMs?: number;
}

interface ThreadedScripts {
  worker: string;
  mainScript: string;
  /** Removes the files: workers read them only while they start. */
  remove: () => Promise<void>;
}

/**
 * Writes the worker and main script files the threaded build needs into a new private folder (never a
 * shared, guessable path another user could plant code at).
 */
async function writeThreadedScripts(options: WasmThreadOptions): Promise<ThreadedScripts> {
  const folder = await mkdtemp(join(os.tmpdir(), 'bias-audit-wasm-'));
  const mainScript = join(folder, 'threaded-simd-main.js');
  const worker = join(folder, 'threaded-simd-worker.cjs');
  // emscripten's worker resolves its main script through URL.createObjectURL; point that at our file.
  // The stock contents hold newlines inside string literals, escaped exactly as tfjs escapes them.
  const workerSource =
    `${options.workerPreamble ?? ''}\n` +
    `URL.createObjectURL = () => ${JSON.stringify(mainScript)}; URL.revokeObjectURL = () => {};\n` +
    wasmWorkerContents.replace(/\n/g, '\\n');
  await writeFile(mainScript, `var WasmBackendModuleThreadedSimd = ${threadedSimdFactory.toString()}`);
  await writeFile(worker, workerSource);
  return { worker, mainScript, remove: () => rm(folder, { recursive: true, force: true }) };
}

/**
 * Starts the wasm backend on the threaded SIMD build with `threads` threads. Resolves when it runs;
 * rejects with the reason when it does not (a worker that fails to start, a timeout). Leaves the tfjs
 * flags as the threaded build needs them; the caller resets them for a single-threaded retry.
 */
export async function startThreadedWasm(threads: number, options: WasmThreadOptions = {}): Promise<void> {
  const scripts = await writeThreadedScripts(options);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  const restore = installStartupPatches(scripts.worker, threads);
  const workers = recordWorkers();
  const failures = captureUncaught();
  try {
    const started = withoutEmscriptenProcessHandlers(() => tf.setBackend('wasm'));
    const ok = await Promise.race([started, failures.promise, timeout(options.startTimeoutMs ?? 60_000)]);
    if (!ok) throw new Error('tfjs could not start the threaded module (see the warning above)');
  } catch (e) {
    // The other workers of a failed module would fail too, each rethrown on the main thread: stop them
    // all before we stop catching.
    await terminate(workers.created);
    throw e;
  } finally {
    workers.restore();
    failures.dispose();
    restore();
    await scripts.remove();
  }
  unrefWorkers();
}

/** Records the worker threads emscripten creates (it takes the Worker class from worker_threads at start). */
function recordWorkers(): { created: Worker[]; restore: () => void } {
  const created: Worker[] = [];
  const RealWorker = workerThreads.Worker;
  class RecordedWorker extends RealWorker {
    constructor(...args: ConstructorParameters<typeof Worker>) {
      super(...args);
      created.push(this);
    }
  }
  (workerThreads as { Worker: typeof Worker }).Worker = RecordedWorker;
  return { created, restore: () => ((workerThreads as { Worker: typeof Worker }).Worker = RealWorker) };
}

async function terminate(workers: Worker[]): Promise<void> {
  await Promise.race([Promise.allSettled(workers.map((worker) => worker.terminate())), timeout(10_000).catch(() => undefined)]);
}

/** Patches os.cpus and URL.createObjectURL while emscripten starts; returns the undo. */
function installStartupPatches(workerPath: string, threads: number): () => void {
  const realCpus = os.cpus;
  const realCreateObjectURL = URL.createObjectURL.bind(URL);
  os.cpus = () => {
    const cores = realCpus();
    const reported: os.CpuInfo[] = [];
    while (reported.length < 2 * threads) reported.push(...cores);
    return reported;
  };
  URL.createObjectURL = (blob: Blob) =>
    blob.type === 'application/javascript' ? workerPath : realCreateObjectURL(blob);
  return () => {
    os.cpus = realCpus;
    URL.createObjectURL = realCreateObjectURL;
  };
}

/**
 * emscripten rethrows a worker's error on the main thread, where it would kill the process. While the
 * threaded module starts (nothing else of ours runs then) such an error means the threads failed.
 */
function captureUncaught(): { promise: Promise<never>; dispose: () => void } {
  let onError: (error: unknown) => void = () => undefined;
  const promise = new Promise<never>((_resolve, reject) => {
    onError = (error: unknown) => reject(error instanceof Error ? error : new Error(String(error)));
  });
  promise.catch(() => undefined);
  process.on('uncaughtException', onError);
  return { promise, dispose: () => process.removeListener('uncaughtException', onError) };
}

function timeout(ms: number): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the threaded module did not start within ${ms / 1000} s`)), ms);
    timer.unref();
  });
}

interface NodeWorkerLike {
  unref(): void;
}
interface PThreadRegistry {
  runningWorkers: NodeWorkerLike[];
  unusedWorkers: NodeWorkerLike[];
}

/**
 * The thread pool's workers hold the event loop open, so a finished CLI would never exit; they only do
 * work while the main thread waits inside a kernel, so unreferencing them is safe.
 */
function unrefWorkers(): void {
  const backend = tf.engine().registry.wasm as unknown as { wasm?: { PThread?: PThreadRegistry } } | undefined;
  const registry = backend?.wasm?.PThread;
  if (registry === undefined) throw new Error('the threaded module has no thread registry');
  for (const worker of [...registry.runningWorkers, ...registry.unusedWorkers]) worker.unref();
}
