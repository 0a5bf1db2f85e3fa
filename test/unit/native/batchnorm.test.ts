import * as tf from '@tensorflow/tfjs-core';
import { expectSameOnBothBackends, input, useNativeBackendInSuite } from './native-test-kit';

/** Variance values must be positive: squares of seeded normals plus a margin. */
function positive(t: tf.Tensor): tf.Tensor {
  return tf.add(tf.square(t), 0.5);
}

describe('native backend: batch normalisation', () => {
  useNativeBackendInSuite();

  it('FusedBatchNorm forward matches cpu with per-channel, scalar and missing parameters', async () => {
    await expectSameOnBothBackends('batchNorm', [input([2, 5, 6, 7], 1), input([7], 2), input([7], 3), input([7], 4), input([7], 5), input([1], 6)],
      (x, mean, variance, offset, scale, one) => [
        tf.batchNorm(x, mean, positive(variance), offset, scale, 1e-3),
        tf.batchNorm(x, mean, positive(variance)),
        tf.batchNorm(x, one, positive(one), undefined, scale, 1e-5),
        tf.batchNorm(tf.reshape(x, [60, 7]), mean, positive(variance), offset, scale),
      ], { natively: ['batchNormForward'] });
  });

  it('the FusedBatchNorm gradient (x, mean, variance, offset, scale) matches cpu', async () => {
    await expectSameOnBothBackends('batchNorm gradient', [input([3, 5, 4, 6], 1), input([6], 2), input([6], 3), input([6], 4), input([6], 5), input([3, 5, 4, 6], 6)],
      (x, mean, variance, offset, scale, r) => {
        const v = positive(variance);
        return tf.grads((a: tf.Tensor, m: tf.Tensor, vv: tf.Tensor, o: tf.Tensor, s: tf.Tensor) =>
          tf.sum(tf.mul(tf.batchNorm(a, m, vv, o, s, 1e-3), r)))([x, mean, v, offset, scale]);
      }, { natively: ['batchNormBackward'], tolerance: 2e-5 });
  });

  // (tfjs cannot differentiate batchNorm without a scale or an offset on any backend: its tape trips on the
  // missing input.)
  it('the gradient on rank-2 input matches cpu', async () => {
    await expectSameOnBothBackends('batchNorm gradient, rank 2', [input([12, 5], 1), input([5], 2), input([5], 3), input([5], 4), input([5], 5), input([12, 5], 6)],
      (x, mean, variance, offset, scale, r) =>
        tf.grads((a: tf.Tensor, m: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(tf.batchNorm(a, m, positive(variance), offset, s), r)))([x, mean, scale]),
      { natively: ['batchNormBackward'], tolerance: 2e-5 });
  });

  // The second shape is large enough for the multithreaded path (over 128k values) with a channel count
  // that does not divide the vector runs evenly.
  for (const shape of [[4, 6, 6, 16], [8, 32, 32, 24]]) {
    it(`training-mode batch norm (moments, then batchNorm) and its gradient match cpu, as tfjs-layers computes it: ${shape.join('x')}`, async () => {
      const channels = shape[3];
      await expectSameOnBothBackends('training batch norm', [input(shape, 1, 3), input([channels], 2), input([channels], 3), input(shape, 4)],
        (x, gamma, beta, r) => {
          const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => {
            const { mean, variance } = tf.moments(a, [0, 1, 2]);
            return tf.sum(tf.mul(tf.batchNorm(a, mean, variance, b, g, 1e-5), r));
          };
          return [...tf.grads(loss)([x, gamma, beta])];
        }, { natively: ['momentsForward', 'momentsBackward', 'batchNormForward', 'batchNormBackward'], tolerance: 1e-4 });
    });
  }

  it('tf.moments (routed to one native kernel) and its gradient match cpu over contiguous axes, with keepDims', async () => {
    await expectSameOnBothBackends('moments', [input([3, 5, 4, 6], 1, 2), input([6], 2), input([6], 3), input([3, 5, 4, 6], 4)], (x, a, b, r) => {
      const outputs: tf.Tensor[] = [];
      for (const [axes, keepDims] of [[[0, 1, 2], false], [[1, 2], true], [[3], false], [[0], true], [undefined, false]] as [number[] | undefined, boolean][]) {
        const { mean, variance } = tf.moments(x, axes, keepDims);
        outputs.push(mean, variance);
      }
      // Gradients through both statistics, through each alone, and through a full-size use of the mean.
      outputs.push(...tf.grads((t: tf.Tensor) => {
        const { mean, variance } = tf.moments(t, [0, 1, 2]);
        return tf.add(tf.sum(tf.mul(mean, a)), tf.sum(tf.mul(variance, b)));
      })([x]));
      outputs.push(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.moments(t, [1, 2], true).variance, 3)))(x));
      outputs.push(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.sub(t, tf.moments(t, [0, 1, 2]).mean), r)))(x));
      return outputs;
    }, { natively: ['momentsForward', 'momentsBackward'], tolerance: 1e-5 });
  });

  it('tf.moments over non-contiguous axes keeps tfjs\'s composition and matches cpu', async () => {
    await expectSameOnBothBackends('moments, non-contiguous', [input([3, 5, 4, 6], 1)], (x) => {
      const { mean, variance } = tf.moments(x, [0, 2]);
      return [mean, variance, tf.grad((t: tf.Tensor) => tf.sum(tf.moments(t, [0, 2]).variance))(x)];
    }, { natively: ['reduce'], tolerance: 1e-5 });
  });
});
