import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { blockMap } from '../../../src/engine/model/blocks';
import { buildResNet50 } from '../../../src/engine/model/builders/resnet';
import { deriveChild } from '../../../src/engine/model/child';
import { changedBlocks, frozenWeightHashes, modelHash } from '../../../src/engine/model/model-hash';
import { loadModel } from '../../../src/engine/model/load';
import { saveModel } from '../../../src/engine/model/save';
import { splitAtBlock } from '../../../src/engine/model/split';
import { AuditError } from '../../../src/engine/util/errors';
import { assertNoLeak, useBackend } from '../helpers/tf';
import { makeTmpDir, maxAbsDiff, predictValues, randomImages, removeTmpDirs, tinyFoundation } from './fixtures';

describe('model: splitAtBlock for frozen-prefix caching', () => {
  before(() => useBackend('cpu'));
  after(() => removeTmpDirs());

  it('suffix(prefix(x)) equals model(x) after every block of the small ResNet and ResNet-50', async () => {
    await assertNoLeak(() => {
      const small = tinyFoundation(1).model;
      const resnet50 = buildResNet50({ inputShape: [32, 32, 3], numClasses: 5, seed: 1, width: 4, stem: 'imagenet' });
      for (const [model, shape] of [[small, [12, 12, 3]], [resnet50, [32, 32, 3]]] as const) {
        const blocks = blockMap(model);
        const x = randomImages(2, shape, 4);
        const expected = model.predict(x) as tf.Tensor;
        for (let k = 1; k <= blocks.length; k++) {
          const { prefix, suffix } = splitAtBlock(model, blocks, k);
          const lastLayer = blocks[k - 1].layers[blocks[k - 1].layers.length - 1];
          assert.deepEqual(prefix.outputs[0].shape, model.getLayer(lastLayer).outputShape);
          const features = prefix.predict(x) as tf.Tensor;
          const actual = suffix.predict(features) as tf.Tensor;
          assert.ok(maxAbsDiff(actual, expected) < 1e-5, `${model.name} split after ${blocks[k - 1].name}`);
          tf.dispose([features, actual]);
          prefix.dispose();
          suffix.dispose();
        }
        // The original model still computes the same after its layers were re-applied in suffixes.
        const afterSplits = model.predict(x) as tf.Tensor;
        assert.equal(maxAbsDiff(afterSplits, expected), 0);
        tf.dispose([x, expected, afterSplits]);
        model.dispose();
      }
    });
  });

  it('training the suffix trains the model and leaves the frozen prefix intact', async () => {
    await assertNoLeak(async () => {
      const foundation = tinyFoundation(3);
      const child = await deriveChild(foundation, { classNames: ['a', 'b', 'c'], freezeDepth: 2, seed: 1 });
      const blocks = blockMap(child.model, child.meta);
      const { prefix, suffix } = splitAtBlock(child.model, blocks, 2);
      const hashBefore = modelHash(child.model);
      const x = randomImages(6, [12, 12, 3], 8);
      const x2 = randomImages(2, [12, 12, 3], 9);
      const cached = prefix.predict(x) as tf.Tensor;
      const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3));
      const optimizer = tf.train.sgd(0.3);
      for (let i = 0; i < 2; i++) {
        optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, suffix.apply(cached, { training: true }) as tf.Tensor));
      }
      assert.notEqual(modelHash(child.model), hashBefore);
      assert.deepEqual(changedBlocks(child.meta.frozenWeightHashes!, frozenWeightHashes(child.model, blocks, 2)), []);
      // The model and the split agree after training too.
      const whole = child.model.predict(x) as tf.Tensor;
      const viaSuffix = suffix.predict(cached) as tf.Tensor;
      assert.ok(maxAbsDiff(whole, viaSuffix) < 1e-5);
      tf.dispose([x, cached, labels, whole, viaSuffix]);
      optimizer.dispose();
      // A model that was split saves and loads like any other (its extra layer nodes are not serialised).
      const dir = join(await makeTmpDir(), 'trained');
      await saveModel(child, dir);
      const reloaded = await loadModel(dir);
      assert.deepEqual(predictValues(reloaded.model, x2), predictValues(child.model, x2));
      reloaded.model.dispose();
      x2.dispose();
      // The parts can go first: the model keeps working on its own until it is disposed too.
      prefix.dispose();
      suffix.dispose();
      const outputs = tf.tidy(() => (child.model.predict(randomImages(1, [12, 12, 3], 1)) as tf.Tensor).shape[1]);
      assert.equal(outputs, 3);
      child.model.dispose();
      foundation.model.dispose();
    });
  });

  it('refuses a boundary that more than one tensor crosses, and k out of range', () => {
    const model = tinyFoundation(1).model;
    // A block ending inside a residual unit: both the shortcut and the main path cross the boundary.
    const blocks = blockMap(model, {
      blockPrefixes: [
        { name: 'a', prefixes: ['conv1_', 'conv2_block1_1_'] },
        { name: 'b', prefixes: ['conv2_block1_2_', 'conv2_block1_add', 'conv2_block1_out', 'conv3_', 'conv4_'] },
      ],
    });
    assert.throws(() => splitAtBlock(model, blocks, 1), (e: unknown) => e instanceof AuditError && /cannot split after block a: 2 tensors cross the boundary \(from conv1_relu, conv2_block1_1_relu\)/.test(e.message));
    assert.throws(() => splitAtBlock(model, blocks, 0), /k must be 1\.\.2/);
    assert.throws(() => splitAtBlock(model, blocks, 3), /k must be 1\.\.2/);
    model.dispose();
  });
});
