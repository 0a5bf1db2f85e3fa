// withInputGradientsOnly: exact input gradients with the filter-gradient work skipped, NaN (never silent
// zeros) for a weight gradient taken inside, and no way to leave the mode on.
import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { filterGradientsWanted, withInputGradientsOnly } from '../../../src/engine/backend/kernels/input-gradients-only';
import { assertNoLeak, randomInput, useBackend } from '../helpers/tf';

describe('withInputGradientsOnly', function () {
  let x: tf.Tensor4D;
  let filter: tf.Variable;
  let depthwiseFilter: tf.Variable;

  before(async () => {
    await useBackend('wasm');
    const xs = randomInput([2, 9, 9, 3], 1);
    x = tf.tensor4d(xs.values, xs.shape as [number, number, number, number]);
    const w = randomInput([3, 3, 3, 4], 2);
    filter = tf.variable(tf.tensor4d(w.values, [3, 3, 3, 4]));
    const d = randomInput([3, 3, 3, 2], 3);
    depthwiseFilter = tf.variable(tf.tensor4d(d.values, [3, 3, 3, 2]));
  });
  after(() => {
    tf.dispose([x, filter, depthwiseFilter]);
  });

  /** A fused conv (which computes its filter gradient even for tf.grad of the input) and a fused depthwise one. */
  const score = (input: tf.Tensor): tf.Scalar =>
    tf.sum(
      tf.add(
        tf.square(tf.fused.conv2d({ x: input as tf.Tensor4D, filter: filter as tf.Tensor4D, strides: 1, pad: 'same', activation: 'relu' })),
        tf.sum(tf.fused.depthwiseConv2d({ x: input as tf.Tensor4D, filter: depthwiseFilter as tf.Tensor4D, strides: 2, pad: 'same' })),
      ),
    );

  it('gives exactly the input gradient of the normal mode, without leaking', async () => {
    const valuesOf = (gradient: tf.Tensor): number[] => {
      const values = Array.from(gradient.dataSync());
      gradient.dispose();
      return values;
    };
    const normal = await assertNoLeak(() => valuesOf(tf.grad(score)(x)));
    const skipped = await assertNoLeak(() => valuesOf(withInputGradientsOnly(() => tf.grad(score)(x))));
    assert.deepEqual(skipped, normal);
  });

  it('makes weight gradients taken inside NaN, loudly', () => {
    const { value, grads } = withInputGradientsOnly(() => tf.variableGrads(() => score(x), [filter, depthwiseFilter]));
    try {
      assert.ok(grads[filter.name].dataSync().every(Number.isNaN), 'conv filter gradient should be NaN');
      assert.ok(grads[depthwiseFilter.name].dataSync().every(Number.isNaN), 'depthwise filter gradient should be NaN');
    } finally {
      tf.dispose([value, ...Object.values(grads)]);
    }
  });

  it('is off outside the scope, also after the scope threw, and nests', () => {
    assert.equal(filterGradientsWanted(), true);
    assert.throws(() =>
      withInputGradientsOnly(() => {
        assert.equal(filterGradientsWanted(), false);
        throw new Error('inside');
      }),
    /inside/);
    assert.equal(filterGradientsWanted(), true);
    withInputGradientsOnly(() => {
      withInputGradientsOnly(() => assert.equal(filterGradientsWanted(), false));
      assert.equal(filterGradientsWanted(), false);
    });
    assert.equal(filterGradientsWanted(), true);
    const { value, grads } = tf.variableGrads(() => score(x), [filter]);
    try {
      assert.ok(grads[filter.name].dataSync().every(Number.isFinite), 'weight gradients are real again');
    } finally {
      tf.dispose([value, ...Object.values(grads)]);
    }
  });

  it('refuses an async function, which would outlive the scope', async () => {
    const pending = Promise.resolve(1);
    assert.throws(() => withInputGradientsOnly(() => pending), /synchronous/);
    assert.equal(filterGradientsWanted(), true);
    await pending;
  });
});
