// INITIAL VERSION written to unblock parallel work: cpu and wasm only, no project kernels yet.
// The compute-backend work replaces this with the full selection (auto, tensorflow, native, threads, kernels).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

export type BackendChoice = 'auto' | 'wasm' | 'tensorflow' | 'cpu' | 'native';

export interface BackendInfo {
  /** The tfjs backend actually in use. */
  name: string;
  /** Worker threads the backend computes with. */
  threads: number;
  /** Whether the wasm SIMD build is in use. */
  simd: boolean;
  /** One human-readable line: what was chosen and why. */
  detail: string;
}

let current: BackendInfo | undefined;

export async function initBackend(options: { backend: BackendChoice; threads?: number }): Promise<BackendInfo> {
  const name = options.backend === 'auto' ? 'wasm' : options.backend;
  if (name !== 'wasm' && name !== 'cpu') throw new Error(`backend ${name} is not available yet`);
  await tf.setBackend(name);
  await tf.ready();
  const simd = name === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : false;
  current = { name, threads: 1, simd, detail: `${name}, 1 thread` };
  return current;
}

export function currentBackendInfo(): BackendInfo | undefined {
  return current;
}
