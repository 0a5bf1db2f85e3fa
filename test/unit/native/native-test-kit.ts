// Shared helpers of the native backend tests: load the backend (failing the test with the loader's reason
// when the addon is missing: CI installs oneDNN, so a missing addon is a failure, not a skip), run one
// computation on `cpu` and on `native` from the same seeded inputs, and compare.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { loadNativeBackend } from '../../../src/engine/backend/native';
import type { NativeAddon } from '../../../src/engine/backend/native-addon';
import type { NativeBackend } from '../../../src/engine/backend/native-backend';
import { type InputSpec, randomInput, relativeError, runOnBackend } from '../helpers/tf';

/** Loads the native backend; throws (failing the calling hook) with the loader's reason when it cannot. */
export async function requireNativeBackend(): Promise<void> {
  const load = await loadNativeBackend();
  if (!load.ok) throw new Error(`native backend unavailable: ${load.reason}`);
}

/**
 * In a describe block: loads the native backend before its tests (failing them with the reason when it
 * cannot) and gives back the backend that was active before, so later test files run where they expect.
 */
export function useNativeBackendInSuite(): void {
  let previous: string | undefined;
  before(async () => {
    previous = tf.getBackend();
    await requireNativeBackend();
  });
  after(async () => {
    if (previous !== undefined) await tf.setBackend(previous);
  });
}

export { type InputSpec, relativeError };

/** One seeded standard-normal input, scaled (helpers/tf.ts's randomInput). */
export const input = randomInput;

/** Seeded standard-normal values, scaled. */
export function randomValues(shape: number[], seed: number, scale = 1): Float32Array {
  return randomInput(shape, seed, scale).values;
}

/** |actual - expected| / |expected| in the Euclidean norm: for outputs where a few entries may legitimately differ. */
export function normRelativeError(actual: Float32Array, expected: Float32Array): number {
  let difference = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    difference += (actual[i] - expected[i]) ** 2;
    norm += expected[i] ** 2;
  }
  return Math.sqrt(difference) / Math.max(Math.sqrt(norm), 1e-30);
}

export interface CompareOptions {
  /** Largest accepted relative error (see relativeError). Default 1e-5. */
  tolerance?: number;
  /**
   * Addon functions that must have run on the native side, proving the native kernel (not the inherited cpu
   * kernel) computed the result. Default: at least one addon call of any kind.
   */
  natively?: string[];
}

/** Runs `compute` on cpu and native and asserts every output agrees within the tolerance (relative, see above). */
export async function expectSameOnBothBackends(
  label: string,
  inputs: InputSpec[],
  compute: (...tensors: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
  options: CompareOptions = {},
): Promise<void> {
  const tolerance = options.tolerance ?? 1e-5;
  const expected = await runOnBackend('cpu', inputs, compute);
  await tf.setBackend('native');
  const spy = spyOnAddon();
  let actual: Float32Array[];
  try {
    actual = await runOnBackend('native', inputs, compute);
  } finally {
    spy.restore();
  }
  if (options.natively === undefined) {
    assert.ok(spy.calls.size > 0, `${label}: no native kernel ran`);
  } else {
    for (const name of options.natively) assert.ok(spy.calls.has(name), `${label}: native ${name} did not run (calls: ${[...spy.calls.keys()].join(', ')})`);
  }
  assert.equal(actual.length, expected.length, `${label}: output count`);
  for (let i = 0; i < expected.length; i++) {
    const error = relativeError(actual[i], expected[i]);
    assert.ok(error <= tolerance, `${label}: output ${i} differs from cpu by ${error.toExponential(2)} (> ${tolerance})`);
  }
}

/** Counts the addon functions called while the spy is installed on the active native backend. */
export function spyOnAddon(): { calls: Map<string, number>; restore: () => void } {
  const backend = tf.backend() as NativeBackend;
  const original = backend.addon;
  const calls = new Map<string, number>();
  // A wrapper object rather than a Proxy: the addon's properties are read-only, which a Proxy must honour.
  const spy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(original)) {
    spy[name] = typeof value !== 'function' ? value : (...args: unknown[]) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return (value as (...a: unknown[]) => unknown).apply(original, args);
    };
  }
  (backend as { addon: NativeAddon }).addon = spy as unknown as NativeAddon;
  return { calls, restore: () => { (backend as { addon: NativeAddon }).addon = original; } };
}

/** Runs `compute` on native with the addon spied and returns which addon functions it called. */
export async function addonCallsOf(inputs: InputSpec[], compute: (...tensors: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Promise<Map<string, number>> {
  await tf.setBackend('native');
  const spy = spyOnAddon();
  try {
    await runOnBackend('native', inputs, compute);
  } finally {
    spy.restore();
  }
  return spy.calls;
}
