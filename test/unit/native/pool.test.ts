import * as tf from '@tensorflow/tfjs-core';
import { POOL_CASES as CASES, describePoolCase as label } from './pool-cases';
import { expectSameOnBothBackends, input, useNativeBackendInSuite } from './native-test-kit';

function maxPoolGrad(x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor {
  const output = tf.maxPool(x, 2, 2, 'valid');
  return tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor;
}

describe('native backend: pooling', () => {
  useNativeBackendInSuite();

  for (const c of CASES) {
    for (const kind of ['max', 'avg'] as const) {
      it(`${kind} pooling forward and gradient match cpu: ${label(c)}`, async () => {
        const pool = (x: tf.Tensor): tf.Tensor4D => kind === 'max'
          ? tf.maxPool(x as tf.Tensor4D, c.size, c.strides, c.pad)
          : tf.avgPool(x as tf.Tensor4D, c.size, c.strides, c.pad);
        const outShape = tf.tidy(() => pool(tf.zeros(c.x)).shape);
        await expectSameOnBothBackends(`${kind}Pool`, [input(c.x, 1), input(outShape, 2)], (x, r) => [
          pool(x),
          tf.grad((a: tf.Tensor) => tf.sum(tf.mul(pool(a), r)))(x),
        ], { natively: ['poolForward', 'poolBackward'] });
      });
    }
  }

  it('max pooling gradient goes to the first maximum when a window ties (ReLU zeros, all-negative windows)', async () => {
    // relu(x) has windows of zeros: ties; -|x| - 1 has windows of all-negative values.
    await expectSameOnBothBackends('maxPool ties', [input([2, 8, 8, 3], 1), input([2, 4, 4, 3], 2)], (x, r) => [
      tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(tf.relu(a) as tf.Tensor4D, 2, 2, 'valid'), r)))(x),
      tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(tf.sub(-1, tf.abs(a)) as tf.Tensor4D, 3, 2, 'same'), r)))(x),
      // Rounded values tie often; the kernel is called directly because rounding has no gradient.
      maxPoolGrad(tf.round(x) as tf.Tensor4D, r as tf.Tensor4D),
      // A misrouted tie moves a whole gradient value (error ~1); summation order alone gives ~1e-7.
    ], { natively: ['poolBackward'], tolerance: 1e-6 });
  });
});
