// Starts the tfjs wasm backend: the threaded SIMD build when more than one thread is asked for and it starts,
// else the single-threaded SIMD build; then installs the project's kernels.
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { errorMessage } from '../util/errors';
import { withoutEmscriptenProcessHandlers } from './emscripten-process-handlers';
import { registerProjectWasmKernels } from './kernels/register-wasm-kernels';
import type { BackendLoadOutcome } from './load-outcome';
import { wasmBinaryFolder } from './wasm-binaries';
import { MAX_WASM_THREADS, startThreadedWasm, type WasmThreadOptions } from './wasm-threads';

/** tfjs-backend-wasm's own registration priority, used when we re-register its factory. */
const WASM_PRIORITY = 2;

let pathsConfigured = false;
let running: { threads: number; note: string } | undefined;

/**
 * Starts (once per process) and selects the wasm backend. Later calls reuse the running module, whose
 * thread count cannot change; the outcome then says so when a different count was asked for.
 */
export async function loadWasmBackend(requestedThreads: number, options: WasmThreadOptions = {}): Promise<BackendLoadOutcome> {
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  let note: string;
  if (running === undefined || wasmModule() === undefined) {
    try {
      running = await startWasm(requestedThreads, simd, options);
    } catch (e) {
      return { ok: false, reason: `the wasm backend did not start: ${errorMessage(e)}` };
    }
    note = running.note;
  } else {
    if (!(await tf.setBackend('wasm'))) return { ok: false, reason: 'the wasm backend could not be selected again' };
    const kept = Math.min(requestedThreads, MAX_WASM_THREADS) !== running.threads;
    note = kept ? `${running.note} (a running module keeps the threads it started with)` : running.note;
  }
  const kernels = registerProjectWasmKernels();
  const threads = getThreadsCount();
  const build = simd ? (threads > 1 ? 'threaded SIMD build' : 'SIMD build') : 'plain build (no SIMD in this runtime)';
  return {
    ok: true,
    threads,
    simd,
    detail: `wasm, ${build}, ${threads} thread${threads === 1 ? '' : 's'}${note}; project kernels: ${kernels.join(', ')}`,
  };
}

/** The started wasm backend, if any. (tf.findBackend would start one as a side effect.) */
function wasmModule(): tf.KernelBackend | undefined {
  return tf.engine().registry.wasm;
}

async function startWasm(requestedThreads: number, simd: boolean, options: WasmThreadOptions): Promise<{ threads: number; note: string }> {
  if (!pathsConfigured) {
    setWasmPaths(wasmBinaryFolder());
    pathsConfigured = true;
  }
  const threads = Math.min(requestedThreads, MAX_WASM_THREADS);
  let note = requestedThreads > MAX_WASM_THREADS ? ` (asked for ${requestedThreads}; the wasm thread pool holds at most ${MAX_WASM_THREADS})` : '';
  if (threads > 1 && simd) {
    try {
      await startThreadedWasm(threads, options);
      checkArithmetic();
      return { threads: getThreadsCount(), note };
    } catch (e) {
      note = ` (threads failed, running single-threaded: ${errorMessage(e).split('\n')[0]})`;
      resetWasmRegistration();
    }
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await withoutEmscriptenProcessHandlers(() => tf.setBackend('wasm')))) {
    throw new Error('tfjs could not start the module (see the warning above)');
  }
  return { threads: getThreadsCount(), note };
}

/** A convolution large enough to spread over the threads, with a known answer: every output is 144. */
function checkArithmetic(): void {
  const outputs = tf.tidy(() => tf.conv2d(tf.ones([2, 8, 8, 16]) as tf.Tensor4D, tf.ones([3, 3, 16, 32]) as tf.Tensor4D, 1, 'valid').dataSync());
  if (!outputs.every((v) => v === 144)) throw new Error('the threaded module computed a wrong convolution');
}

/** Drops a started or half-started wasm module so that the next setBackend starts a fresh one. */
function resetWasmRegistration(): void {
  const factory = tf.findBackendFactory('wasm');
  if (wasmModule() !== undefined && factory !== null) {
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', factory, WASM_PRIORITY);
  }
}
