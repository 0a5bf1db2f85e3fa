// The project's wasm Conv2DBackpropFilter and Conv2DBackpropInput, through the gradients of conv2d and of the
// fused conv2d tfjs-layers uses, against the cpu backend and against finite differences, over a grid of
// strides, paddings, odd and even sizes and kernel sizes.
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { conv2dBackpropFilterConfig } from '../../../src/engine/backend/kernels/conv2d-backprop-filter';
import { conv2dBackpropInputConfig, conv2dBackpropInputPath } from '../../../src/engine/backend/kernels/conv2d-backprop-input';
import { finiteDifferenceError, type InputSpec, randomInput, relativeError, runOnBackend, useBackend } from '../helpers/tf';

type Padding = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  input: [number, number, number, number];
  kernel: [number, number];
  outChannels: number;
  strides: number | [number, number];
  pad: Padding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const grid: ConvCase[] = [];
for (const strides of [1, 2]) {
  for (const pad of ['same', 'valid'] as const) {
    for (const k of [1, 3, 7]) {
      for (const input of [[2, 9, 11, 3], [2, 8, 8, 4]] as [number, number, number, number][]) {
        grid.push({ input, kernel: [k, k], outChannels: 5, strides, pad });
      }
    }
  }
}
grid.push(
  { input: [2, 9, 10, 3], kernel: [3, 3], outChannels: 4, strides: [1, 2], pad: 'same' },
  { input: [2, 10, 9, 3], kernel: [3, 5], outChannels: 4, strides: [2, 1], pad: 'valid' },
  { input: [1, 10, 10, 2], kernel: [3, 3], outChannels: 3, strides: 3, pad: 'same' },
  { input: [2, 8, 9, 3], kernel: [2, 2], outChannels: 4, strides: 2, pad: 'valid' },
  { input: [2, 7, 7, 3], kernel: [3, 3], outChannels: 4, strides: 2, pad: 2, dimRoundingMode: 'ceil' },
  // Padding wider than the kernel: whole rows of dy see only padding.
  { input: [1, 6, 5, 2], kernel: [3, 3], outChannels: 3, strides: 1, pad: 4 },
  { input: [1, 6, 5, 2], kernel: [3, 3], outChannels: 3, strides: 2, pad: 4, dimRoundingMode: 'floor' },
  { input: [2, 9, 8, 3], kernel: [3, 3], outChannels: 4, strides: 2, pad: [[0, 0], [2, 1], [0, 3], [0, 0]] },
  { input: [1, 5, 5, 2], kernel: [7, 7], outChannels: 3, strides: 1, pad: 'same' },
  // Many weights over few pixels: Conv2DBackpropInput keeps the stock kernel here (see conv2dBackpropInputPath).
  { input: [2, 1, 1, 16], kernel: [3, 3], outChannels: 16, strides: 1, pad: 'same' },
  { input: [1, 2, 3, 24], kernel: [3, 3], outChannels: 20, strides: 2, pad: 'same' },
);

function describeCase(c: ConvCase): string {
  const pad = typeof c.pad === 'object' ? `explicit ${JSON.stringify(c.pad.slice(1, 3))}` : String(c.pad);
  return `x ${c.input.join('x')}, ${c.kernel.join('x')} kernel, stride ${String(c.strides)}, pad ${pad}${c.dimRoundingMode ? ` (${c.dimRoundingMode})` : ''}`;
}

/** Bilinear terms conv(x, w) * weights, whose sum has exact finite differences up to rounding. */
function convTerms(c: ConvCase, outputWeights: tf.Tensor) {
  return (x: tf.Tensor, w: tf.Tensor): tf.Tensor =>
    tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad, 'NHWC', 1, c.dimRoundingMode), outputWeights);
}

function outputShape(c: ConvCase): number[] {
  return tf.tidy(() => tf.conv2d(tf.zeros(c.input) as tf.Tensor4D, tf.zeros([...c.kernel, c.input[3], c.outChannels]) as tf.Tensor4D, c.strides, c.pad, 'NHWC', 1, c.dimRoundingMode).shape);
}

describe('wasm conv gradient kernels', function () {
  before(async () => {
    await useBackend('wasm');
  });
  after(async () => {
    await tf.setBackend('wasm');
  });

  it('registers the project kernels on wasm', () => {
    assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc, conv2dBackpropFilterConfig.kernelFunc);
    assert.equal(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc, conv2dBackpropInputConfig.kernelFunc);
  });

  it('the grid runs both Conv2DBackpropInput paths: the phase convolution and the stock kernel', () => {
    const paths = grid.map((c) =>
      conv2dBackpropInputPath(
        backend_util.computeConv2DInfo(c.input, [...c.kernel, c.input[3], c.outChannels], c.strides, 1, c.pad, c.dimRoundingMode),
      ),
    );
    assert.ok(paths.includes('phases') && paths.includes('stock'), JSON.stringify(paths));
  });

  grid.forEach((c, index) => {
    describe(describeCase(c), () => {
      const x = randomInput(c.input, 100 + index);
      const w = randomInput([...c.kernel, c.input[3], c.outChannels], 200 + index, 0.5);
      let dyShape: number[] = [];
      before(async () => {
        await tf.setBackend('wasm');
        dyShape = outputShape(c);
      });

      it('conv2d gradients match the cpu backend', async () => {
        const r = randomInput(dyShape, 300 + index);
        const gradients = (xt: tf.Tensor, wt: tf.Tensor, rt: tf.Tensor) => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(convTerms(c, rt)(a, b)))([xt, wt]);
        const [dxWasm, dwWasm] = await runOnBackend('wasm', [x, w, r], gradients);
        const [dxCpu, dwCpu] = await runOnBackend('cpu', [x, w, r], gradients);
        assert.ok(relativeError(dxWasm, dxCpu) < 1e-5, `dx error ${relativeError(dxWasm, dxCpu)}`);
        assert.ok(relativeError(dwWasm, dwCpu) < 1e-5, `dw error ${relativeError(dwWasm, dwCpu)}`);
      });

      it('conv2d gradients match finite differences', async () => {
        await tf.setBackend('wasm');
        const r = tf.tensor(randomInput(dyShape, 300 + index).values, dyShape);
        try {
          const error = finiteDifferenceError(convTerms(c, r), [x, w], { seed: index });
          assert.ok(error < 2e-3, `finite-difference error ${error}`);
        } finally {
          r.dispose();
        }
      });

      it('fused conv2d (bias + relu) gradients match the cpu backend', async () => {
        const bias = randomInput([c.outChannels], 400 + index, 0.1);
        const r = randomInput(dyShape, 500 + index);
        const gradients = (xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor, rt: tf.Tensor) =>
          tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) =>
            tf.sum(tf.mul(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, bias: d, strides: c.strides, pad: c.pad, dimRoundingMode: c.dimRoundingMode, activation: 'relu' }), rt)),
          )([xt, wt, bt]);
        const wasm = await runOnBackend('wasm', [x, w, bias, r], gradients);
        const cpu = await runOnBackend('cpu', [x, w, bias, r], gradients);
        ['dx', 'dw', 'dbias'].forEach((name, i) => {
          assert.ok(relativeError(wasm[i], cpu[i]) < 1e-5, `${name} error ${relativeError(wasm[i], cpu[i])}`);
        });
      });
    });
  });

  it('an empty batch has zero gradients (XNNPACK would leave them unwritten)', async () => {
    const x: InputSpec = { shape: [0, 5, 5, 2], values: new Float32Array(0) };
    const w = randomInput([3, 3, 2, 4], 1);
    const gradients = (xt: tf.Tensor, wt: tf.Tensor) => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')))([xt, wt]);
    const [dx, dw] = await runOnBackend('wasm', [x, w], gradients);
    assert.equal(dx.length, 0);
    assert.deepEqual(Array.from(dw), new Array(3 * 3 * 2 * 4).fill(0));
  });

  it('conv2dTranspose (whose forward pass is Conv2DBackpropInput) matches the cpu backend', async () => {
    const cases: { input: [number, number, number, number]; kernel: number; stride: number; pad: 'same' | 'valid'; out: [number, number, number, number] }[] = [
      { input: [2, 4, 5, 6], kernel: 3, stride: 2, pad: 'same', out: [2, 8, 10, 3] },
      { input: [2, 4, 5, 6], kernel: 3, stride: 2, pad: 'valid', out: [2, 9, 11, 3] },
      { input: [1, 3, 3, 4], kernel: 7, stride: 1, pad: 'valid', out: [1, 9, 9, 2] },
      { input: [1, 5, 5, 4], kernel: 1, stride: 2, pad: 'valid', out: [1, 9, 9, 2] },
    ];
    for (const t of cases) {
      const x = randomInput(t.input, 1);
      const w = randomInput([t.kernel, t.kernel, t.out[3], t.input[3]], 2);
      const transpose = (xt: tf.Tensor, wt: tf.Tensor) => tf.conv2dTranspose(xt as tf.Tensor4D, wt as tf.Tensor4D, t.out, t.stride, t.pad);
      const [wasm] = await runOnBackend('wasm', [x, w], transpose);
      const [cpu] = await runOnBackend('cpu', [x, w], transpose);
      assert.ok(relativeError(wasm, cpu) < 1e-5, `${JSON.stringify(t)}: error ${relativeError(wasm, cpu)}`);
    }
  });
});
