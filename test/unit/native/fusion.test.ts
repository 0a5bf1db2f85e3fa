import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { addonCallsOf, expectSameOnBothBackends, input, useNativeBackendInSuite } from './native-test-kit';

/** Variance values must be positive: squares of seeded normals plus a margin. */
function positive(t: tf.Tensor): tf.Tensor {
  return tf.add(tf.square(t), 0.5);
}

// Inference (no gradient tape): conv -> batch norm -> ReLU runs as one convolution with the normalisation
// folded into its filter and bias and the ReLU as its post-op (native-fusion.ts).
describe('native backend: inference fusion of convolution, batch norm and ReLU', () => {
  useNativeBackendInSuite();

  const inputs = [input([2, 9, 9, 5], 1), input([3, 3, 5, 6], 2, 0.3), input([6], 3), input([6], 4), input([6], 5), input([6], 6), input([6], 7)];

  it('conv -> batchNorm -> relu matches cpu and runs without the batch-norm and ReLU passes', async () => {
    const compute = (x: tf.Tensor, filter: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, offset: tf.Tensor, scale: tf.Tensor): tf.Tensor[] => [
      tf.relu(tf.batchNorm(tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same'), mean, positive(variance), offset, scale, 1e-3)),
      tf.relu(tf.batchNorm(tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 2, 'valid'), mean, positive(variance))),
    ];
    await expectSameOnBothBackends('fused conv-bn-relu', inputs, compute, { tolerance: 2e-5 });
    const calls = await addonCallsOf(inputs, compute);
    assert.equal(calls.get('conv2dForward'), 2);
    assert.ok(!calls.has('batchNormForward'), `batch norm ran separately (calls: ${[...calls.keys()].join(', ')})`);
    assert.equal(calls.get('unary') ?? 0, 2, 'only the two squares of positive() run as unary ops, not the ReLUs');
  });

  it('fused conv with bias; the intermediate outputs stay readable and match cpu', async () => {
    await expectSameOnBothBackends('fused conv with bias, intermediates read', inputs,
      (x, filter, mean, variance, offset, scale, bias) => {
        const conv = tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides: 1, pad: 'same', bias });
        const normalised = tf.batchNorm(conv, mean, positive(variance), offset, scale, 1e-3);
        const activated = tf.relu(normalised);
        // Read after the fused consumers ran: computed then, from the captured inputs.
        return [activated, normalised, conv, tf.add(normalised, 1)];
      }, { tolerance: 2e-5 });
  });

  it('nothing is fused while a gradient is recorded, and the gradients match cpu', async () => {
    await expectSameOnBothBackends('conv-bn-relu gradient', inputs,
      (x, filter, mean, variance, offset, scale) =>
        tf.grads((a: tf.Tensor, f: tf.Tensor) =>
          tf.sum(tf.relu(tf.batchNorm(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'), mean, positive(variance), offset, scale, 1e-3))))([x, filter]),
      { tolerance: 2e-5 });
  });

  it('folded weights follow changed statistics (no stale cache)', async () => {
    await expectSameOnBothBackends('fused conv-bn, statistics changed', inputs,
      (x, filter, mean, variance, offset, scale) => {
        const conv = (): tf.Tensor => tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same');
        const first = tf.batchNorm(conv(), mean, positive(variance), offset, scale, 1e-3);
        const second = tf.batchNorm(conv(), tf.add(mean, 1), positive(variance), offset, scale, 1e-3);
        return [first, second];
      }, { tolerance: 2e-5 });
  });
});
