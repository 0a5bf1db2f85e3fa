import * as tf from '@tensorflow/tfjs-core';
import { expectSameOnBothBackends, input, useNativeBackendInSuite } from './native-test-kit';

// Shape pairs: equal, trailing broadcast, middle broadcast, scalar, both-sided, and one large enough for
// the multithreaded path (over 32k elements).
const SHAPE_PAIRS: [number[], number[]][] = [
  [[3, 4, 5], [3, 4, 5]],
  [[3, 4, 5], [5]],
  [[3, 4, 5], [4, 1]],
  [[1], [3, 4]],
  [[3, 1, 5], [1, 4, 1]],
  [[2, 3], []],
  [[8, 32, 32, 16], [16]],
  [[8, 32, 32, 16], [8, 32, 32, 16]],
  [[1, 1, 1, 16], [8, 32, 32, 16]],
];

const BINARY: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
  ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', tf.div], ['maximum', tf.maximum], ['minimum', tf.minimum],
  ['squaredDifference', tf.squaredDifference],
];

const UNARY: [string, (x: tf.Tensor) => tf.Tensor][] = [
  ['relu', tf.relu], ['relu6', tf.relu6], ['neg', tf.neg], ['square', tf.square], ['sqrt', (x) => tf.sqrt(tf.abs(x))],
  ['rsqrt', (x) => tf.rsqrt(tf.add(tf.abs(x), 0.1))], ['exp', tf.exp], ['log', (x) => tf.log(tf.add(tf.abs(x), 0.1))],
  ['abs', tf.abs], ['sigmoid', tf.sigmoid], ['tanh', tf.tanh], ['step', (x) => tf.step(x, 0.25)],
  ['leakyRelu', (x) => tf.leakyRelu(x, 0.3)], ['elu', tf.elu],
];

describe('native backend: element-wise ops and reductions', () => {
  useNativeBackendInSuite();

  for (const [name, op] of BINARY) {
    it(`${name} with broadcasting matches cpu`, async () => {
      for (const [shapeA, shapeB] of SHAPE_PAIRS) {
        await expectSameOnBothBackends(`${name} ${JSON.stringify(shapeA)} ${JSON.stringify(shapeB)}`,
          [input(shapeA, 1), input(shapeB, 2)], (a, b) => [op(a, b), op(b, a)],
          // cpu computes div and squaredDifference in double precision before rounding; the others are exact.
          { natively: ['binary'], tolerance: name === 'div' || name === 'squaredDifference' ? 1e-6 : 0 });
      }
    });
  }

  for (const [name, op] of UNARY) {
    it(`${name} matches cpu`, async () => {
      await expectSameOnBothBackends(name, [input([3, 7, 11], 1, 3), input([8, 32, 32, 8], 2, 3)], (a, b) => [op(a), op(b)],
        { natively: ['unary'], tolerance: 1e-6 });
    });
  }

  it('sum, mean and max over contiguous axes (and keepDims) match cpu', async () => {
    await expectSameOnBothBackends('reductions', [input([4, 5, 6, 7], 1), input([16, 16, 16, 32], 2)], (a, b) => [
      tf.sum(a, [0, 1, 2]), tf.mean(a, [1, 2]), tf.max(a, 3), tf.sum(a, 0), tf.mean(a), tf.max(a, [1, 2], true), tf.sum(a, -1, true),
      tf.sum(b, [0, 1, 2]), tf.mean(b, [1, 2]), tf.max(b, [0, 1, 2]), tf.mean(b, [0, 1]), tf.sum(b, [1, 2, 3]),
    ], { natively: ['reduce'], tolerance: 1e-6 });
  });

  it('reductions over non-contiguous axes fall back to the cpu kernel and still match', async () => {
    await expectSameOnBothBackends('non-contiguous reductions', [input([4, 5, 6, 7], 1)], (a) => [tf.sum(a, [0, 2]), tf.mean(a, [1, 3])],
      { natively: [], tolerance: 1e-6 });
  });

  it('int32 inputs take the cpu kernels', async () => {
    await expectSameOnBothBackends('int32', [input([3, 4], 1)], (a) => {
      const i = tf.cast(tf.mul(a, 10), 'int32');
      return [tf.cast(tf.add(i, i), 'float32'), tf.cast(tf.sum(i, 0), 'float32'), tf.cast(tf.neg(i), 'float32')];
    }, { natively: ['binary'] });
  });
});
