// The optional `native` backend (oneDNN N-API addon, ./native.ts) reached through a guarded require, so that
// the selection works whether that module is present, absent or broken.
import * as tf from '@tensorflow/tfjs-core';
import { errorMessage } from '../util/errors';
import type { BackendLoadOutcome } from './load-outcome';

interface NativeModule {
  loadNativeBackend(threads?: number): Promise<{ ok: true; threads: number; detail: string } | { ok: false; reason: string }>;
}

/** Returns the native module, or throws why it is unavailable. Tests replace it. */
export type NativeModuleLoader = () => NativeModule;

function defaultNativeModule(): NativeModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional module: absent in some builds
  return require('./native') as NativeModule;
}

/** Loads the native addon, registers and selects the tfjs backend `native`, or says why not. */
export async function loadNativeBackendGuarded(
  threads: number | undefined,
  loadModule: NativeModuleLoader = defaultNativeModule,
): Promise<BackendLoadOutcome> {
  let nativeModule: NativeModule;
  try {
    nativeModule = loadModule();
    if (typeof nativeModule.loadNativeBackend !== 'function') throw new Error('it exports no loadNativeBackend');
  } catch (e) {
    return { ok: false, reason: `the native backend module is unavailable: ${errorMessage(e).split('\n')[0]}` };
  }
  let load: Awaited<ReturnType<NativeModule['loadNativeBackend']>>;
  try {
    load = await nativeModule.loadNativeBackend(threads);
  } catch (e) {
    return { ok: false, reason: `the native backend failed to load: ${errorMessage(e).split('\n')[0]}` };
  }
  if (!load.ok) return { ok: false, reason: load.reason };
  if (!(await tf.setBackend('native'))) return { ok: false, reason: "the native addon loaded but tfjs could not start the 'native' backend" };
  return { ok: true, threads: load.threads, simd: false, detail: load.detail };
}
