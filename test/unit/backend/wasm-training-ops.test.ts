// Gradients of the non-convolution ops a ResNet trains through (activations, BatchNorm in inference and
// training form, dense layers, global average pooling, softmax cross-entropy) and the project's wasm Tile
// (the BatchNorm gradient's hot spot), on wasm against the cpu backend and finite differences.
import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { tileConfig } from '../../../src/engine/backend/kernels/tile';
import { finiteDifferenceError, type InputSpec, randomInput, relativeError, runOnBackend, separatedInput, useBackend } from '../helpers/tf';

/** Compares the gradients of sum(terms(...)) on wasm and cpu, and on wasm against finite differences. */
async function checkGradients(label: string, terms: (...t: tf.Tensor[]) => tf.Tensor, inputs: InputSpec[], step = 1e-2): Promise<void> {
  const gradients = (...t: tf.Tensor[]) => tf.grads((...u: tf.Tensor[]) => tf.sum(terms(...u)))(t);
  const wasm = await runOnBackend('wasm', inputs, gradients);
  const cpu = await runOnBackend('cpu', inputs, gradients);
  wasm.forEach((values, i) => {
    const error = relativeError(values, cpu[i]);
    assert.ok(error < 2e-5, `${label}: gradient ${i} differs from cpu by ${error}`);
  });
  await tf.setBackend('wasm');
  const error = finiteDifferenceError(terms, inputs, { step });
  assert.ok(error < 2e-3, `${label}: finite-difference error ${error}`);
}

describe('wasm gradients of the other training ops', function () {
  before(async () => {
    await useBackend('wasm');
  });
  after(async () => {
    await tf.setBackend('wasm');
  });

  // Values 0.05 apart, offset so that none lies within 2.5e-3 of the ReLU kinks at 0 and 6.
  const activationInput = separatedInput([2, 6, 6, 4], 3, 0.05, 0.0025);
  const weights = randomInput([2, 6, 6, 4], 4);
  const activations: [string, (x: tf.Tensor) => tf.Tensor][] = [
    ['relu', (x) => tf.relu(x)],
    ['relu6', (x) => tf.relu6(x)],
    ['leakyRelu', (x) => tf.leakyRelu(x, 0.2)],
    ['elu', (x) => tf.elu(x)],
    ['selu', (x) => tf.selu(x)],
    ['sigmoid', (x) => tf.sigmoid(x)],
    ['tanh', (x) => tf.tanh(x)],
    ['softplus', (x) => tf.softplus(x)],
    ['swish', (x) => tf.mul(x, tf.sigmoid(x))],
  ];
  for (const [name, activation] of activations) {
    it(`${name}`, async () => {
      await checkGradients(name, (x, r) => tf.mul(activation(x), r), [activationInput, weights], 1e-3);
    });
  }

  it('batchNorm (inference form) with respect to x, mean, variance, offset and scale', async () => {
    const x = randomInput([2, 5, 7, 3], 10);
    const mean = randomInput([3], 11, 0.3);
    const variance: InputSpec = { shape: [3], values: Float32Array.from(randomInput([3], 12).values, (v) => 0.5 + Math.abs(v)) };
    const offset = randomInput([3], 13);
    const scale = randomInput([3], 14);
    const r = randomInput([2, 5, 7, 3], 15);
    await checkGradients(
      'batchNorm',
      (xt, m, v, o, s, rt) => tf.mul(tf.batchNorm(xt, m, v, o, s, 1e-3), rt),
      [x, mean, variance, offset, scale, r],
      1e-3,
    );
  });

  it('batchNorm (training form, statistics of the batch) with respect to x, offset and scale', async () => {
    const x = randomInput([4, 5, 5, 3], 20, 2);
    const offset = randomInput([3], 21);
    const scale = randomInput([3], 22);
    const r = randomInput([4, 5, 5, 3], 23);
    await checkGradients(
      'training batchNorm',
      (xt, o, s, rt) => {
        const { mean, variance } = tf.moments(xt, [0, 1, 2]);
        return tf.mul(tf.batchNorm(xt, mean, variance, o, s, 1e-3), rt);
      },
      [x, offset, scale, r],
      1e-3,
    );
  });

  it('dense layer (fused matMul + bias + relu), global average pooling and softmax cross-entropy', async () => {
    const features = randomInput([4, 3, 3, 6], 30);
    const kernel = randomInput([6, 5], 31, 0.5);
    const bias = randomInput([5], 32, 0.1);
    // One-hot labels (a constant: tfjs' gradient with respect to labels is not the true one, and no one needs it).
    const labelIndices = [2, 0, 4, 1];
    await checkGradients(
      'head',
      (f, k, b) => {
        const pooled = tf.mean(f, [1, 2]) as tf.Tensor2D;
        const hidden = tf.fused.matMul({ a: pooled, b: k as tf.Tensor2D, bias: b, activation: 'relu' });
        const labels = tf.oneHot(tf.tensor1d(labelIndices, 'int32'), 5);
        return tf.losses.softmaxCrossEntropy(labels, tf.add(hidden, tf.matMul(pooled, k as tf.Tensor2D)));
      },
      [features, kernel, bias],
      1e-3,
    );
  });

  it('gather (whose gradient is the project UnsortedSegmentSum), with repeated and dropped indices', async () => {
    const logits = randomInput([5, 7, 3], 40);
    const r = randomInput([5, 4, 3], 41);
    await checkGradients('gather', (x, rt) => tf.mul(tf.gather(x, tf.tensor1d([3, 0, 3, 6], 'int32'), 1), rt), [logits, r]);
    const sums = async (backend: 'cpu' | 'wasm') =>
      runOnBackend(backend, [logits], (x) => tf.unsortedSegmentSum(x, tf.tensor1d([2, 0, 2, -1, 1], 'int32'), 3));
    const [wasm] = await sums('wasm');
    const [cpu] = await sums('cpu');
    assert.ok(relativeError(wasm, cpu) < 1e-6);
  });

  describe('Tile', () => {
    it('is the project kernel on wasm', () => {
      assert.equal(tf.getKernel('Tile', 'wasm')?.kernelFunc, tileConfig.kernelFunc);
    });

    const cases: { shape: number[]; reps: number[] }[] = [
      { shape: [1, 1, 1, 5], reps: [3, 4, 2, 1] },
      { shape: [2, 3], reps: [2, 3] },
      { shape: [3, 1, 2], reps: [1, 5, 1] },
      { shape: [4], reps: [7] },
      { shape: [2, 1, 3, 2], reps: [2, 3, 1, 2] },
      { shape: [2, 2], reps: [1, 1] },
      { shape: [1, 3, 1], reps: [5, 1, 4] },
    ];
    for (const { shape, reps } of cases) {
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        it(`${dtype} [${shape.join(',')}] by [${reps.join(',')}] matches the cpu backend`, async () => {
          const size = shape.reduce((a, b) => a * b, 1);
          const values = Array.from({ length: size }, (_, i) => (dtype === 'bool' ? Number(i % 3 === 0) : dtype === 'int32' ? i * 7 - 3 : i * 0.25 - 1));
          const tiled = async (backend: 'cpu' | 'wasm') => {
            await tf.setBackend(backend);
            const before = tf.memory().numTensors;
            const out = tf.tidy(() => Array.from(tf.tile(tf.tensor(values, shape, dtype), reps).dataSync()));
            assert.equal(tf.memory().numTensors, before);
            return out;
          };
          assert.deepEqual(await tiled('wasm'), await tiled('cpu'));
        });
      }
    }
  });
});
