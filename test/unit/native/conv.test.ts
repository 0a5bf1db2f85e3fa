import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { CONV_CASES as CASES, DILATED_CONV_CASES as DILATED, type ConvCase, describeConvCase as describeCase } from './conv-cases';
import { addonCallsOf, expectSameOnBothBackends, input, useNativeBackendInSuite } from './native-test-kit';

function outputShape(c: ConvCase): number[] {
  return tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.filter) as tf.Tensor4D, c.strides, c.pad, 'NHWC', c.dilation ?? 1).shape);
}

describe('native backend: convolutions', () => {
  useNativeBackendInSuite();

  for (const c of [...CASES, ...DILATED]) {
    it(`Conv2D forward matches cpu: ${describeCase(c)}`, async () => {
      await expectSameOnBothBackends('conv2d', [input(c.x, 1), input(c.filter, 2)], (x, w) =>
        tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad, 'NHWC', c.dilation ?? 1), { natively: ['conv2dForward'] });
    });
  }

  for (const c of CASES) {
    it(`Conv2D input and filter gradients match cpu: ${describeCase(c)}`, async () => {
      const weights = input(outputShape(c), 3);
      await expectSameOnBothBackends('conv2d gradients', [input(c.x, 1), input(c.filter, 2), weights], (x, w, r) =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), r)))([x, w]),
      { natively: ['conv2dBackwardInput', 'conv2dBackwardFilter'] });
    });
  }

  it('NCHW forward and gradients match cpu', async () => {
    await expectSameOnBothBackends('conv2d NCHW', [input([2, 5, 9, 8], 1), input([3, 3, 5, 7], 2), input([2, 7, 5, 4], 3)], (x, w, r) => [
      tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same', 'NCHW'),
      ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same', 'NCHW'), r)))([x, w]),
    ], { natively: ['conv2dForward', 'conv2dBackwardInput', 'conv2dBackwardFilter'] });
  });

  const activations = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'] as const;
  for (const activation of activations) {
    it(`FusedConv2D with bias and ${activation} matches cpu`, async () => {
      const inputs = [input([2, 8, 8, 16], 1), input([3, 3, 16, 24], 2, 0.3), input([24], 3), input([24], 4, 0.2)];
      await expectSameOnBothBackends(`fused conv2d ${activation}`, inputs, (x, w, bias, alpha) =>
        tf.fused.conv2d({
          x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 2, pad: 'same', bias, activation,
          preluActivationWeights: activation === 'prelu' ? alpha : undefined, leakyreluAlpha: 0.1,
        }),
        // prelu is not fused natively: the cpu kernel runs, and this checks that the fallback is wired correctly.
        { natively: activation === 'prelu' ? [] : ['conv2dForward'] });
    });
  }

  it('FusedConv2D without bias, and its gradients (linear activation with bias), match cpu', async () => {
    const inputs = [input([2, 7, 7, 3], 1), input([3, 3, 3, 8], 2), input([8], 3), input([2, 7, 7, 8], 4)];
    await expectSameOnBothBackends('fused conv2d gradients', inputs, (x, w, bias, r) => [
      tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same', activation: 'relu' }),
      ...tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.mul(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 1, pad: 'same', bias: c }), r)))([x, w, bias]),
    ], { natively: ['conv2dForward', 'conv2dBackwardInput', 'conv2dBackwardFilter'] });
  });

  const depthwise: { x: [number, number, number, number]; filter: [number, number, number, number]; strides: number; pad: 'same' | 'valid' }[] = [
    { x: [2, 9, 9, 4], filter: [3, 3, 4, 1], strides: 1, pad: 'same' },
    { x: [2, 9, 9, 4], filter: [3, 3, 4, 2], strides: 2, pad: 'same' },
    { x: [1, 10, 8, 16], filter: [5, 5, 16, 1], strides: 2, pad: 'valid' },
    { x: [3, 7, 7, 32], filter: [3, 3, 32, 1], strides: 1, pad: 'valid' },
  ];
  for (const c of depthwise) {
    it(`DepthwiseConv2dNative forward and gradients match cpu: x ${c.x.join('x')} filter ${c.filter.join('x')} stride ${c.strides} ${c.pad}`, async () => {
      const outShape = tf.tidy(() => tf.depthwiseConv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.filter) as tf.Tensor4D, c.strides, c.pad).shape);
      await expectSameOnBothBackends('depthwise', [input(c.x, 1), input(c.filter, 2), input(outShape, 3)], (x, w, r) => [
        tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad),
        ...tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), r)))([x, w]),
      ], { natively: ['conv2dForward', 'conv2dBackwardInput', 'conv2dBackwardFilter'] });
    });
  }

  it('dilated DepthwiseConv2dNative and FusedDepthwiseConv2D match cpu', async () => {
    await expectSameOnBothBackends('depthwise dilated/fused', [input([2, 11, 11, 8], 1), input([3, 3, 8, 2], 2), input([16], 3)], (x, w, bias) => [
      tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 2),
      tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 2, pad: 'same', bias, activation: 'relu6' }),
    ], { natively: ['conv2dForward'] });
  });

  it('reuses a reordered filter only for the same filter buffer', async () => {
    // Same shapes, alternating filters: a stale reordered filter would repeat the first result.
    await expectSameOnBothBackends('filter reorder cache', [input([2, 6, 6, 16], 1), input([3, 3, 16, 32], 2), input([3, 3, 16, 32], 3)], (x, w1, w2) => {
      const conv = (w: tf.Tensor): tf.Tensor => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same');
      const backward = (w: tf.Tensor): tf.Tensor => tf.grad((a: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')))(x);
      return [conv(w1), conv(w2), conv(w1), backward(w1), backward(w2), backward(w1), conv(tf.add(w1, 0))];
    }, { natively: ['conv2dForward', 'conv2dBackwardInput'] });
  });

  it('computes a fused convolution\'s filter gradient only when it is read (input gradients skip it)', async () => {
    // tfjs's fused conv2d gradient asks for both gradients; with only the input gradient wanted, the
    // deferred filter gradient is disposed unread and never computed.
    const inputs = [input([2, 8, 8, 4], 1), input([3, 3, 4, 6], 2)];
    const inputOnly = await addonCallsOf(inputs, (x, w) =>
      tf.grad((a: tf.Tensor) => tf.sum(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same' })))(x));
    assert.equal(inputOnly.get('conv2dBackwardInput'), 1);
    assert.equal(inputOnly.get('conv2dBackwardFilter'), undefined);
    const both = await addonCallsOf(inputs, (x, w) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 1, pad: 'same' })))([x, w]));
    assert.equal(both.get('conv2dBackwardFilter'), 1);
  });

  it('runs the convolutions natively (no silent fallback to the cpu kernels)', async () => {
    const calls = await addonCallsOf([input([2, 8, 8, 4], 1), input([3, 3, 4, 6], 2), input([3, 3, 4, 1], 3)], (x, w, dw) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.add(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, c as tf.Tensor4D, 1, 'same')))))([x, w, dw]));
    assert.equal(calls.get('conv2dForward'), 2);
    assert.equal(calls.get('conv2dBackwardInput'), 2);
    assert.equal(calls.get('conv2dBackwardFilter'), 2);
  });
});
