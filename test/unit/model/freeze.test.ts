import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { strict as assert } from 'node:assert';
import { freezeBatchNormStatistics, isBatchNormStatisticsFrozen, unfreezeBatchNormStatistics } from '../../../src/engine/model/freeze';
import { assertNoLeak, useBackend } from '../helpers/tf';
import { maxAbsDiff, randomImages } from './fixtures';

/** A model that is just one BatchNorm layer whose moving statistics are far from any batch's. */
function batchNormModel(): { model: tfl.LayersModel; bn: tfl.layers.Layer } {
  const input = tfl.input({ shape: [4, 4, 2] });
  const bn = tfl.layers.batchNormalization({ name: 'bn', momentum: 0.5 });
  const model = tfl.model({ inputs: input, outputs: bn.apply(input) as tfl.SymbolicTensor });
  const values = [tf.tensor1d([1, 1]), tf.tensor1d([0, 0]), tf.tensor1d([5, -5]), tf.tensor1d([4, 9])]; // gamma, beta, mean, variance
  bn.setWeights(values);
  tf.dispose(values);
  return { model, bn };
}

function movingStatistics(bn: tfl.layers.Layer): number[] {
  return bn.getWeights().slice(2).flatMap((w) => [...w.dataSync()]);
}

describe('model: BatchNorm policy in frozen layers', () => {
  before(() => useBackend('cpu'));

  it('tfjs itself still updates a non-trainable BatchNorm in training mode (why the policy patch exists)', () => {
    const { model, bn } = batchNormModel();
    bn.trainable = false;
    const before = movingStatistics(bn);
    const x = randomImages(8, [4, 4, 2], 1);
    tf.tidy(() => model.apply(x, { training: true }) as tf.Tensor);
    assert.notDeepEqual(movingStatistics(bn), before, 'tfjs changed: trainable=false now freezes statistics; revisit freeze.ts');
    x.dispose();
    model.dispose();
  });

  it('a frozen BatchNorm keeps its statistics and normalises with them in training mode', async () => {
    await assertNoLeak(() => {
      const { model, bn } = batchNormModel();
      bn.trainable = false;
      freezeBatchNormStatistics(bn);
      assert.ok(isBatchNormStatisticsFrozen(bn));
      const before = movingStatistics(bn);
      const x = randomImages(8, [4, 4, 2], 2);
      const trainingOutput = tf.tidy(() => model.apply(x, { training: true }) as tf.Tensor);
      const inferenceOutput = model.predict(x) as tf.Tensor;
      assert.deepEqual(movingStatistics(bn), before);
      assert.equal(maxAbsDiff(trainingOutput, inferenceOutput), 0);

      unfreezeBatchNormStatistics(bn);
      assert.ok(!isBatchNormStatisticsFrozen(bn));
      const unfrozenOutput = tf.tidy(() => model.apply(x, { training: true }) as tf.Tensor);
      assert.ok(maxAbsDiff(unfrozenOutput, inferenceOutput) > 0.1, 'batch statistics are used again');
      assert.notDeepEqual(movingStatistics(bn), before);
      tf.dispose([x, trainingOutput, inferenceOutput, unfrozenOutput]);
      model.dispose();
    });
  });
});
