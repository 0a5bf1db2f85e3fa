// Shared helpers for tests of tensor code: backend selection, leak checks, cross-backend runs and
// finite-difference gradient checks.
import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { type BackendChoice, initBackend } from '../../../src/engine/backend/select';
import { Random } from '../../../src/engine/util/random';

/** Selects a compute backend for a test file (`before(() => useBackend('wasm'))`), quietly. */
export async function useBackend(backend: BackendChoice = 'wasm'): Promise<void> {
  await initBackend({ backend, log: () => undefined });
}

/** Runs `fn` and asserts that it left no tensor behind. */
export async function assertNoLeak<T>(fn: () => Promise<T> | T): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const after = tf.memory().numTensors;
  assert.equal(after, before, `tensor leak: ${after - before} tensor(s) left behind`);
  return result;
}

/** Values for one input tensor, made into a tensor on whichever backend a computation runs. */
export interface InputSpec {
  shape: number[];
  values: Float32Array;
}

/** Seeded standard-normal values times `scale`. */
export function randomInput(shape: number[], seed: number, scale = 1): InputSpec {
  const random = new Random(seed);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = random.normal() * scale;
  return { shape, values };
}

/**
 * Distinct values spaced `gap` apart, in a seeded random order, plus `offset`: no two within `gap` of each
 * other, so max-pooling and ReLU switch points stay out of reach of a finite-difference step smaller than
 * `gap / 2`.
 */
export function separatedInput(shape: number[], seed: number, gap = 0.01, offset = 0): InputSpec {
  const size = shape.reduce((a, b) => a * b, 1);
  const order = new Random(seed).shuffle(Array.from({ length: size }, (_, i) => i));
  const values = new Float32Array(size);
  const centre = (size - 1) / 2;
  for (let i = 0; i < size; i++) values[i] = (order[i] - centre) * gap + offset;
  return { shape, values };
}

/**
 * Runs `compute` on `backend` with fresh tensors of `inputs` and returns its outputs' values; asserts that
 * nothing leaked. Leaves `backend` selected. Reads with `await data()`, which every backend serves (webgpu in
 * Node cannot read synchronously).
 */
export async function runOnBackend(
  backend: string,
  inputs: InputSpec[],
  compute: (...tensors: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const outputs = tf.tidy(() => {
    const tensors = inputs.map((spec) => tf.tensor(spec.values, spec.shape));
    const out = compute(...tensors);
    return Array.isArray(out) ? out : [out];
  });
  const values = await Promise.all(outputs.map(async (t) => Float32Array.from(await t.data())));
  tf.dispose(outputs);
  assert.equal(tf.memory().numTensors, before, `tensor leak on ${backend}`);
  return values;
}

/** Largest |actual - expected| over the largest |expected|; Infinity when NaNs or infinities differ. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length, 'sizes differ');
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    if (!Number.isFinite(expected[i]) || !Number.isFinite(actual[i])) {
      if (!Object.is(actual[i], expected[i])) return Infinity;
      continue;
    }
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? worst : worst / scale;
}

/** Options of `finiteDifferenceError`. */
export interface FiniteDifferenceOptions {
  /** Central-difference step. Default 1e-2 (exact up to rounding for the bilinear terms the kernel tests use). */
  step?: number;
  /** Random coordinates checked per input (plus the coordinate of its largest gradient). Default 12. */
  coordinates?: number;
  /** Random unit directions over all inputs at once. Default 2. */
  directions?: number;
  seed?: number;
}

/**
 * Checks the gradient of L = sum(terms(...inputs)) on the current backend against central finite
 * differences of L: at single coordinates (each input's largest-gradient coordinate and random ones) and
 * along random directions through all inputs. `terms` returns a tensor of any shape; the finite
 * differences sum it in float64, so their rounding error stays far below that of a float32 sum.
 * Returns the worst error relative to the largest gradient magnitude. Asserts no tensor leaked.
 */
export function finiteDifferenceError(
  terms: (...tensors: tf.Tensor[]) => tf.Tensor,
  inputs: InputSpec[],
  options: FiniteDifferenceOptions = {},
): number {
  const step = options.step ?? 1e-2;
  const random = new Random(options.seed ?? 7);
  const before = tf.memory().numTensors;
  const lossAt = (points: Float32Array[]): number => {
    const value = tf.tidy(() => terms(...points.map((values, i) => tf.tensor(values, inputs[i].shape))));
    let result = 0;
    for (const v of value.dataSync() as Float32Array) result += v;
    value.dispose();
    return result;
  };
  const loss = (...tensors: tf.Tensor[]): tf.Scalar => tf.sum(terms(...tensors));
  const gradients = tf.tidy(() => tf.grads(loss)(inputs.map((spec) => tf.tensor(spec.values, spec.shape))));
  const analytic = gradients.map((g) => Float64Array.from(g.dataSync()));
  tf.dispose(gradients);
  const scale = Math.max(...analytic.map((g) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
  assert.ok(scale > 0, 'the gradient is zero everywhere: the check would prove nothing');
  let worst = 0;
  const base = inputs.map((spec) => spec.values);
  for (let k = 0; k < inputs.length; k++) {
    const size = base[k].length;
    const picks = new Set<number>([indexOfLargest(analytic[k])]);
    const wanted = Math.min(size, (options.coordinates ?? 12) + 1);
    while (picks.size < wanted) picks.add(random.int(size));
    for (const index of picks) {
      const plus = base.map((values) => values);
      const minus = base.map((values) => values);
      plus[k] = Float32Array.from(base[k]);
      minus[k] = Float32Array.from(base[k]);
      plus[k][index] += step;
      minus[k][index] -= step;
      // The float32 perturbation actually applied, not the nominal one.
      const estimate = (lossAt(plus) - lossAt(minus)) / (plus[k][index] - minus[k][index]);
      worst = Math.max(worst, Math.abs(estimate - analytic[k][index]) / scale);
    }
  }
  for (let d = 0; d < (options.directions ?? 2); d++) {
    const direction = base.map((values) => Float64Array.from(values, () => random.normal()));
    const norm = Math.sqrt(direction.reduce((s, v) => s + v.reduce((t, x) => t + x * x, 0), 0));
    let predicted = 0;
    const plus: Float32Array[] = [];
    const minus: Float32Array[] = [];
    for (let k = 0; k < base.length; k++) {
      plus.push(Float32Array.from(base[k], (v, i) => v + (step * direction[k][i]) / norm));
      minus.push(Float32Array.from(base[k], (v, i) => v - (step * direction[k][i]) / norm));
      for (let i = 0; i < base[k].length; i++) predicted += (analytic[k][i] * direction[k][i]) / norm;
    }
    const estimate = (lossAt(plus) - lossAt(minus)) / (2 * step);
    worst = Math.max(worst, Math.abs(estimate - predicted) / scale);
  }
  assert.equal(tf.memory().numTensors, before, 'tensor leak in the finite-difference check');
  return worst;
}

function indexOfLargest(values: Float64Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (Math.abs(values[i]) > Math.abs(values[best])) best = i;
  return best;
}
