import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { withInputGradientsOnly } from '../../../src/engine/backend/kernels/input-gradients-only';
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

  it('while training (gradients of every input) the convolution is not deferred, and the gradients match cpu', async () => {
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

  // Input gradients (strong stimuli): no parameter gets a gradient, so the forward pass fuses as in inference
  // and the backward pass reads neither the convolution's nor the batch norm's unfused output.
  const inputGradient = (x: tf.Tensor, filter: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, offset: tf.Tensor, scale: tf.Tensor): tf.Tensor =>
    withInputGradientsOnly(() => tf.grad((a: tf.Tensor) => {
      const v = positive(variance);
      const block = (t: tf.Tensor, f: tf.Tensor): tf.Tensor => tf.relu(tf.batchNorm(tf.conv2d(t as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'), mean, v, offset, scale, 1e-3));
      const filter2 = tf.slice(tf.concat([filter, filter], 2), [0, 0, 0, 0], [3, 3, 6, 6]);
      return tf.sum(tf.mul(block(block(a, filter), filter2), tf.range(0, 6)));
    })(x));

  it('inside withInputGradientsOnly: conv -> batchNorm -> relu fuses, and its input gradient matches cpu', async () => {
    await expectSameOnBothBackends('input gradient through fused blocks', inputs, inputGradient, { tolerance: 2e-5 });
    const calls = await addonCallsOf(inputs, inputGradient);
    assert.equal(calls.get('conv2dForward'), 2, 'each convolution ran once: its unfused output was never computed');
    assert.ok(!calls.has('batchNormForward'), `batch norm ran separately (calls: ${[...calls.entries()].join(' ')})`);
    assert.equal(calls.get('unary') ?? 0, 1, 'only the square of positive() runs as a unary op, not the ReLUs');
    assert.equal(calls.get('batchNormBackward'), 2, 'one input-only batch-norm gradient per block');
  });

  it('batch-norm parameter gradients read after the tape is gone are right (pinned x, or a pending x recomputed)', async () => {
    // Activations above the pool's 64 KiB threshold, so freed buffers are reused.
    const large = [input([4, 32, 32, 5], 11), ...inputs.slice(1)];
    for (const inputOnly of [false, true]) {
      await expectSameOnBothBackends(`late-read scale and offset gradients (input gradients only: ${inputOnly})`, large,
        (x, filter, mean, variance, offset, scale) => {
          const v = positive(variance);
          const f = (a: tf.Tensor, s: tf.Tensor, o: tf.Tensor): tf.Tensor =>
            tf.sum(tf.mul(tf.relu(tf.batchNorm(tf.conv2d(a as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same'), mean, v, o, s, 1e-3)), tf.range(0, 6)));
          const run = (): tf.Tensor[] => tf.grads(f)([x, scale, offset]);
          const grads = inputOnly ? withInputGradientsOnly(run) : run();
          // Activation-sized work that takes every free buffer of the pool (the tape's are free now) before
          // the per-channel gradients are first read.
          const churn = [tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same')];
          for (let i = 0; i < 12; i++) churn.push(tf.add(churn[churn.length - 1], 1));
          return [...grads, ...churn];
        }, { tolerance: 2e-5 });
    }
  });

  // Training (tfjs-layers' BatchNormalization with batch statistics, then ReLU): the batch norm's output is
  // deferred, the ReLU computes both in one pass, and ReLU's gradient reads the output, so the batch norm's
  // own output is never written.
  it('training: batch norm with batch statistics then ReLU runs as one pass; every gradient matches cpu', async () => {
    const train = (x: tf.Tensor, filter: tf.Tensor, _mean: tf.Tensor, _variance: tf.Tensor, offset: tf.Tensor, scale: tf.Tensor): tf.Tensor[] =>
      tf.grads((a: tf.Tensor, f: tf.Tensor, o: tf.Tensor, s: tf.Tensor) => {
        const z = tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, 1, 'same');
        const { mean, variance } = tf.moments(z, [0, 1, 2]);
        const y = tf.relu(tf.batchNorm(z, mean, variance, o, s, 1e-3));
        return tf.sum(tf.mul(y, tf.range(0, 6)));
      })([x, filter, offset, scale]);
    await expectSameOnBothBackends('training conv-moments-BN-ReLU gradients', inputs, train, { tolerance: 1e-4 });
    const calls = await addonCallsOf(inputs, train);
    assert.equal(calls.get('batchNormForward'), 1, 'one pass for batch norm and ReLU together');
    assert.ok(!calls.has('unary'), `ReLU ran as its own pass (calls: ${[...calls.entries()].join(' ')})`);
  });

  it('a pending batch norm read by something other than ReLU is computed then, and matches cpu', async () => {
    await expectSameOnBothBackends('BN output read directly and through ReLU', inputs,
      (x, _filter, mean, variance, offset, scale) => {
        const y = tf.batchNorm(x, mean, positive(variance), offset, scale, 1e-3);
        return [tf.relu(y), tf.add(y, 1), y];
      }, { tolerance: 2e-5 });
  });
});
