import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { strict as assert } from 'node:assert';
import { blockMap } from '../../../src/engine/model/blocks';
import { buildScratch, deriveChild } from '../../../src/engine/model/child';
import type { LoadedModel } from '../../../src/engine/model/meta';
import { changedBlocks, frozenWeightHashes, modelHash } from '../../../src/engine/model/model-hash';
import { changedFrozenBlocks } from '../../../src/engine/model/verify-frozen';
import { AuditError } from '../../../src/engine/util/errors';
import { assertNoLeak, useBackend } from '../helpers/tf';
import { maxAbsDiff, randomImages, tinyFoundation } from './fixtures';

const TARGET = ['left', 'middle', 'right'];

/** Per layer name, the values of all its weights (BatchNorm statistics included). */
function weightValues(model: tfl.LayersModel): Map<string, number[]> {
  return new Map(model.layers.map((l) => [l.name, l.weights.flatMap((w) => [...w.read().dataSync()])]));
}

/**
 * A few SGD steps the way a training loop runs them: the model in training mode, and no variable list,
 * so the optimizer updates every variable tfjs considers trainable.
 */
function trainSteps(model: tfl.LayersModel, steps: number): void {
  const optimizer = tf.train.sgd(0.5);
  const x = randomImages(8, [12, 12, 3], 11);
  const labels = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3));
  for (let i = 0; i < steps; i++) {
    const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor), true);
    cost?.dispose();
  }
  tf.dispose([x, labels]);
  optimizer.dispose();
}

function disposeAll(...models: LoadedModel[]): void {
  for (const m of models) m.model.dispose();
}

describe('model: children and scratch baselines', () => {
  before(() => useBackend('cpu'));

  it('copies the foundation, replaces the head for the target classes and records the lineage', async () => {
    await assertNoLeak(async () => {
      const foundation = tinyFoundation(1);
      const child = await deriveChild(foundation, { classNames: TARGET, freezeDepth: 2, seed: 5 });
      assert.deepEqual(child.model.outputs[0].shape, [null, 3]);
      const parentWeights = weightValues(foundation.model);
      for (const [name, values] of weightValues(child.model)) {
        if (name === 'predictions') continue;
        assert.deepEqual(values, parentWeights.get(name), `${name} copied`);
      }
      const lineage = child.meta.lineage!;
      assert.equal(lineage.role, 'child');
      assert.equal(lineage.parentHash, modelHash(foundation.model));
      assert.equal(lineage.freezeDepth, 2);
      assert.deepEqual(lineage.frozenBlocks, ['conv1', 'conv2']);
      assert.equal(lineage.bnPolicy, 'frozen');
      assert.equal(lineage.headReplaced, true);
      assert.deepEqual(child.meta.classNames, TARGET);
      assert.deepEqual(child.meta.normalization, foundation.meta.normalization);
      assert.deepEqual(Object.keys(child.meta.frozenWeightHashes!), ['conv1', 'conv2']);
      // Frozen blocks are bit-identical to the parent's, so their hashes agree.
      assert.deepEqual(child.meta.frozenWeightHashes, frozenWeightHashes(foundation.model, blockMap(foundation.model), 2));

      const again = await deriveChild(foundation, { classNames: TARGET, freezeDepth: 2, seed: 5 });
      const otherSeed = await deriveChild(foundation, { classNames: TARGET, freezeDepth: 2, seed: 6 });
      assert.equal(modelHash(again.model), modelHash(child.model), 'the seed reproduces the head');
      assert.notEqual(modelHash(otherSeed.model), modelHash(child.model));
      disposeAll(foundation, child, again, otherSeed);
    });
  });

  it('resolves freeze depths: full = 0, fixed = all blocks, numbers in range, others rejected', async () => {
    const foundation = tinyFoundation(1);
    const full = await deriveChild(foundation, { classNames: TARGET, freezeDepth: 'full', seed: 1 });
    assert.equal(full.meta.lineage!.freezeDepth, 0);
    assert.ok(full.model.layers.every((l) => l.trainable));
    const fixed = await deriveChild(foundation, { classNames: TARGET, freezeDepth: 'fixed', seed: 1 });
    assert.equal(fixed.meta.lineage!.freezeDepth, 4);
    assert.deepEqual(fixed.model.trainableWeights.map((w) => w.originalName).sort(), ['predictions/bias', 'predictions/kernel']);
    await assert.rejects(deriveChild(foundation, { classNames: TARGET, freezeDepth: 5, seed: 1 }), (e: unknown) => e instanceof AuditError && /freeze depth 5 is out of range: this model has 4 blocks \(conv1, conv2, conv3, conv4\)/.test(e.message));
    await assert.rejects(deriveChild(foundation, { classNames: TARGET, freezeDepth: 1.5, seed: 1 }), /out of range/);
    await assert.rejects(deriveChild(foundation, { classNames: ['only'], freezeDepth: 1, seed: 1 }), /at least 2 classes/);
    disposeAll(foundation, full, fixed);
  });

  it('keeps the head when told to, and refuses when the class counts differ', async () => {
    const foundation = tinyFoundation(1);
    const kept = await deriveChild(foundation, { classNames: ['a', 'b', 'c', 'd'], freezeDepth: 1, keepHead: true, seed: 1 });
    assert.equal(modelHash(kept.model), modelHash(foundation.model));
    assert.equal(kept.meta.lineage!.headReplaced, false);
    await assert.rejects(deriveChild(foundation, { classNames: TARGET, freezeDepth: 1, keepHead: true, seed: 1 }), /keepHead needs as many target classes as the foundation has outputs \(4\)/);
    disposeAll(foundation, kept);
  });

  it('trains only the unfrozen layers, and frozen BatchNorm statistics do not drift (policy "frozen")', async () => {
    await assertNoLeak(async () => {
      const foundation = tinyFoundation(2);
      const child = await deriveChild(foundation, { classNames: TARGET, freezeDepth: 2, seed: 3 });
      const blocks = blockMap(child.model, child.meta);
      const before = weightValues(child.model);
      trainSteps(child.model, 3);
      const after = weightValues(child.model);
      assert.deepEqual(changedBlocks(child.meta.frozenWeightHashes!, frozenWeightHashes(child.model, blocks, 2)), []);
      assert.deepEqual(changedFrozenBlocks(child), []);
      const frozen = new Set(child.meta.lineage!.frozenLayers);
      for (const [name, values] of after) {
        if (values.length === 0) continue;
        if (frozen.has(name)) assert.deepEqual(values, before.get(name), `${name} is frozen`);
        else assert.notDeepEqual(values, before.get(name), `${name} trains`);
      }
      disposeAll(foundation, child);
    });
  });

  it('policy "train" lets frozen BatchNorm statistics drift, and the frozen-weight hashes catch it', async () => {
    await assertNoLeak(async () => {
      const foundation = tinyFoundation(2);
      const child = await deriveChild(foundation, { classNames: TARGET, freezeDepth: 2, bnPolicy: 'train', seed: 3 });
      const blocks = blockMap(child.model, child.meta);
      const before = weightValues(child.model);
      trainSteps(child.model, 2);
      assert.deepEqual(changedBlocks(child.meta.frozenWeightHashes!, frozenWeightHashes(child.model, blocks, 2)), ['conv1', 'conv2']);
      assert.deepEqual(changedFrozenBlocks(child), ['conv1', 'conv2']);
      const bn = child.model.getLayer('conv1_bn');
      const [gamma, beta, movingMean] = bn.weights.map((w) => [...w.read().dataSync()]);
      const [gamma0, beta0, movingMean0] = [0, 1, 2].map((i) => before.get('conv1_bn')!.slice(i * 4, i * 4 + 4));
      assert.deepEqual(gamma, gamma0, 'gamma stays');
      assert.deepEqual(beta, beta0, 'beta stays');
      assert.notDeepEqual(movingMean, movingMean0, 'moving mean drifts');
      assert.deepEqual(weightValues(child.model).get('conv1_conv'), before.get('conv1_conv'));
      disposeAll(foundation, child);
    });
  });

  it('frozen blocks normalise with their moving statistics in training mode (policy "frozen")', async () => {
    await assertNoLeak(async () => {
      const foundation = tinyFoundation(4);
      const x = randomImages(4, [12, 12, 3], 3);
      for (const bnPolicy of ['frozen', 'train'] as const) {
        const child = await deriveChild(foundation, { classNames: TARGET, freezeDepth: 'fixed', bnPolicy, seed: 1 });
        const training = tf.tidy(() => child.model.apply(x, { training: true }) as tf.Tensor);
        const inference = child.model.predict(x) as tf.Tensor;
        const difference = maxAbsDiff(training, inference);
        if (bnPolicy === 'frozen') assert.equal(difference, 0);
        else assert.ok(difference > 1e-3, `batch statistics differ from moving ones (${difference})`);
        tf.dispose([training, inference]);
        child.model.dispose();
      }
      x.dispose();
      foundation.model.dispose();
    });
  });

  it('builds a scratch baseline: same architecture, fresh seeded weights, everything trainable', async () => {
    await assertNoLeak(async () => {
      const foundation = tinyFoundation(1);
      const child = await deriveChild(foundation, { classNames: TARGET, freezeDepth: 3, seed: 2 });
      const scratch = await buildScratch(child, { classNames: TARGET, seed: 10 });
      const scratchAgain = await buildScratch(foundation, { classNames: TARGET, seed: 10 });
      assert.deepEqual(scratch.model.layers.map((l) => l.name), child.model.layers.map((l) => l.name));
      assert.deepEqual(scratch.model.outputs[0].shape, [null, 3]);
      assert.ok(scratch.model.layers.every((l) => l.trainable));
      assert.equal(scratch.model.trainableWeights.length, foundation.model.trainableWeights.length);
      const fresh = weightValues(scratch.model);
      const parent = weightValues(foundation.model);
      for (const name of ['conv1_conv', 'conv3_block1_1_conv', 'conv4_block1_2_conv']) assert.notDeepEqual(fresh.get(name), parent.get(name), name);
      assert.equal(modelHash(scratch.model), modelHash(scratchAgain.model), 'same seed, same weights whether built like the child or the foundation');
      assert.deepEqual(scratch.meta.lineage, { role: 'scratch', freezeDepth: 0, frozenBlocks: [], frozenLayers: [], bnPolicy: 'frozen', headReplaced: true, seed: 10 });
      assert.deepEqual(scratch.meta.inputShape, foundation.meta.inputShape);
      disposeAll(foundation, child, scratch, scratchAgain);
    });
  });
});
