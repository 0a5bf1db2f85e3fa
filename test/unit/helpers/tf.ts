import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { type BackendChoice, initBackend } from '../../../src/engine/backend/select';

/** Selects a compute backend for a test file (`before(() => useBackend('wasm'))`). */
export async function useBackend(backend: BackendChoice = 'wasm'): Promise<void> {
  await initBackend({ backend });
}

/** Runs `fn` and asserts that it left no tensor behind. */
export async function assertNoLeak<T>(fn: () => Promise<T> | T): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const after = tf.memory().numTensors;
  assert.equal(after, before, `tensor leak: ${after - before} tensor(s) left behind`);
  return result;
}
