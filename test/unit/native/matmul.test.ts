import * as tf from '@tensorflow/tfjs-core';
import { expectSameOnBothBackends, input, useNativeBackendInSuite } from './native-test-kit';

describe('native backend: matrix products', () => {
  useNativeBackendInSuite();

  for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]]) {
    it(`MatMul matches cpu (transposeA ${transposeA}, transposeB ${transposeB})`, async () => {
      const a = input(transposeA ? [7, 5] : [5, 7], 1);
      const b = input(transposeB ? [3, 7] : [7, 3], 2);
      await expectSameOnBothBackends('matMul', [a, b], (x, y) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, transposeA, transposeB),
        { natively: ['matMul'] });
    });
  }

  it('BatchMatMul matches cpu: equal batches, broadcast batch of 1, rank-3 by rank-2', async () => {
    await expectSameOnBothBackends('batchMatMul', [input([4, 5, 7], 1), input([4, 7, 3], 2), input([1, 5, 7], 3), input([7, 3], 4)], (a, b, c, d) => [
      tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D),
      tf.matMul(c as tf.Tensor3D, b as tf.Tensor3D),
      tf.matMul(a as tf.Tensor3D, d as tf.Tensor2D),
      tf.matMul(b as tf.Tensor3D, a as tf.Tensor3D, true, true),
    ], { natively: ['matMul'] });
  });

  it('a large product (multithreaded sgemm) matches cpu', async () => {
    await expectSameOnBothBackends('large matMul', [input([96, 300], 1), input([300, 130], 2)], (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
      { natively: ['matMul'] });
  });

  for (const activation of ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'] as const) {
    it(`_FusedMatMul with bias and ${activation} matches cpu`, async () => {
      await expectSameOnBothBackends(`fused matMul ${activation}`, [input([6, 9], 1), input([9, 4], 2), input([4], 3), input([4], 4, 0.2), input([1], 5)],
        (a, b, bias, alpha, scalarBias) => [
          tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation, preluActivationWeights: activation === 'prelu' ? alpha : undefined, leakyreluAlpha: 0.3 }),
          tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias: scalarBias, activation: activation === 'prelu' ? 'relu' : activation }),
        ], { natively: ['matMul'] });
    });
  }

  it('MatMul gradients (a dense layer) match cpu', async () => {
    await expectSameOnBothBackends('matMul gradients', [input([8, 12], 1), input([12, 5], 2), input([5], 3), input([8, 5], 4)], (x, w, bias, r) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.mul(tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias: c }), r)))([x, w, bias]),
    { natively: ['matMul'] });
  });
});
