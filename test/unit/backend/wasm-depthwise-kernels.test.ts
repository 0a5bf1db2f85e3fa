// The project's wasm DepthwiseConv2dNativeBackpropFilter and ...Input (missing from stock wasm), through the
// gradients of depthwise, fused depthwise and separable convolutions, against the cpu backend and finite
// differences, over strides, paddings, kernel sizes and channel multipliers.
import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { finiteDifferenceError, randomInput, relativeError, runOnBackend, useBackend } from '../helpers/tf';

interface DepthwiseCase {
  input: [number, number, number, number];
  kernel: number;
  multiplier: number;
  stride: number;
  pad: 'same' | 'valid';
}

const grid: DepthwiseCase[] = [];
for (const stride of [1, 2]) {
  for (const pad of ['same', 'valid'] as const) {
    for (const kernel of [1, 3, 7]) {
      for (const multiplier of [1, 2]) {
        grid.push({ input: multiplier === 1 ? [2, 9, 11, 3] : [1, 8, 8, 4], kernel, multiplier, stride, pad });
      }
    }
  }
}

function depthwiseTerms(c: DepthwiseCase, r: tf.Tensor) {
  return (x: tf.Tensor, w: tf.Tensor): tf.Tensor => tf.mul(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad), r);
}

function filterShape(c: DepthwiseCase): [number, number, number, number] {
  return [c.kernel, c.kernel, c.input[3], c.multiplier];
}

function outputShape(c: DepthwiseCase): number[] {
  return tf.tidy(() => tf.depthwiseConv2d(tf.zeros(c.input) as tf.Tensor4D, tf.zeros(filterShape(c)) as tf.Tensor4D, c.stride, c.pad).shape);
}

describe('wasm depthwise conv gradient kernels', function () {
  before(async () => {
    await useBackend('wasm');
  });
  after(async () => {
    await tf.setBackend('wasm');
  });

  grid.forEach((c, index) => {
    const name = `x ${c.input.join('x')}, ${c.kernel}x${c.kernel} kernel, multiplier ${c.multiplier}, stride ${c.stride}, pad ${c.pad}`;
    const x = randomInput(c.input, 10 + index);
    const w = randomInput(filterShape(c), 20 + index, 0.5);

    it(`${name}: gradients match the cpu backend`, async () => {
      await tf.setBackend('wasm');
      const r = randomInput(outputShape(c), 30 + index);
      const gradients = (xt: tf.Tensor, wt: tf.Tensor, rt: tf.Tensor) => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(depthwiseTerms(c, rt)(a, b)))([xt, wt]);
      const [dxWasm, dwWasm] = await runOnBackend('wasm', [x, w, r], gradients);
      const [dxCpu, dwCpu] = await runOnBackend('cpu', [x, w, r], gradients);
      assert.ok(relativeError(dxWasm, dxCpu) < 1e-5, `dx error ${relativeError(dxWasm, dxCpu)}`);
      assert.ok(relativeError(dwWasm, dwCpu) < 1e-5, `dw error ${relativeError(dwWasm, dwCpu)}`);
    });

    it(`${name}: gradients match finite differences`, async () => {
      await tf.setBackend('wasm');
      const r = tf.tensor(randomInput(outputShape(c), 30 + index).values, outputShape(c));
      try {
        const error = finiteDifferenceError(depthwiseTerms(c, r), [x, w], { seed: index });
        assert.ok(error < 2e-3, `finite-difference error ${error}`);
      } finally {
        r.dispose();
      }
    });
  });

  it('fused depthwise (bias + relu) and separable convolution gradients match the cpu backend', async () => {
    const x = randomInput([2, 9, 9, 4], 1);
    const depthwise = randomInput([3, 3, 4, 2], 2, 0.5);
    const pointwise = randomInput([1, 1, 8, 5], 3, 0.5);
    const bias = randomInput([8], 4, 0.1);
    const fusedR = randomInput([2, 5, 5, 8], 5);
    const separableR = randomInput([2, 9, 9, 5], 6);
    const fused = (xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor, rt: tf.Tensor) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) =>
        tf.sum(tf.mul(tf.fused.depthwiseConv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, bias: d, strides: 2, pad: 'same', activation: 'relu' }), rt)),
      )([xt, wt, bt]);
    const separable = (xt: tf.Tensor, dt: tf.Tensor, pt: tf.Tensor, rt: tf.Tensor) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) =>
        tf.sum(tf.mul(tf.separableConv2d(a as tf.Tensor4D, b as tf.Tensor4D, d as tf.Tensor4D, 1, 'same'), rt)),
      )([xt, dt, pt]);
    for (const [label, compute, inputs] of [
      ['fused depthwise', fused, [x, depthwise, bias, fusedR]],
      ['separable', separable, [x, depthwise, pointwise, separableR]],
    ] as const) {
      const wasm = await runOnBackend('wasm', [...inputs], compute);
      const cpu = await runOnBackend('cpu', [...inputs], compute);
      wasm.forEach((values, i) => {
        assert.ok(relativeError(values, cpu[i]) < 1e-5, `${label} gradient ${i}: error ${relativeError(values, cpu[i])}`);
      });
    }
  });
});
