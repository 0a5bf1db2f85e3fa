import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { strict as assert } from 'node:assert';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { deriveChild } from '../../../src/engine/model/child';
import { asFoundation } from '../../../src/engine/model/foundation';
import { isBatchNormStatisticsFrozen } from '../../../src/engine/model/freeze';
import { loadModel } from '../../../src/engine/model/load';
import { modelHash } from '../../../src/engine/model/model-hash';
import { saveModel } from '../../../src/engine/model/save';
import { assertNoLeak, useBackend } from '../helpers/tf';
import { makeTmpDir, predictValues, randomImages, removeTmpDirs, tinyFoundation } from './fixtures';

describe('model: save and load', () => {
  before(() => useBackend('cpu'));
  after(() => removeTmpDirs());

  it('round-trips a functional residual model: same predictions, meta and content hash', async () => {
    await assertNoLeak(async () => {
      const foundation = tinyFoundation(3);
      const dir = join(await makeTmpDir(), 'foundation');
      await saveModel(foundation, dir);
      assert.deepEqual((await readdir(dir)).sort(), ['classes.txt', 'model.json', 'weights.bin']);
      assert.deepEqual((await readdir(dirname(dir))).filter((n) => n !== basename(dir)), [], 'no temporary folder left behind');
      const loaded = await loadModel(dir);
      const x = randomImages(3, [12, 12, 3], 5);
      assert.deepEqual(predictValues(loaded.model, x), predictValues(foundation.model, x));
      assert.deepEqual(loaded.meta, foundation.meta);
      assert.equal(modelHash(loaded.model), modelHash(foundation.model));
      assert.equal(loaded.metaSources?.classNames, join(dir, 'classes.txt'));
      assert.equal(loaded.metaSources?.normalization, join(dir, 'model.json'));
      x.dispose();
      loaded.model.dispose();
      foundation.model.dispose();
    });
  });

  it('round-trips a Sequential model and accepts model.json itself as the path', async () => {
    await assertNoLeak(async () => {
      const model = tfl.sequential({ name: 'seq' });
      model.add(tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 3, kernelSize: 3, activation: 'relu', name: 'c1', kernelInitializer: tfl.initializers.heNormal({ seed: 1 }) }));
      model.add(tfl.layers.maxPooling2d({ poolSize: 2, name: 'p1' }));
      model.add(tfl.layers.flatten({ name: 'flat' }));
      model.add(tfl.layers.dense({ units: 2, activation: 'softmax', name: 'out', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }));
      const loadedIn = asFoundation(model, { classNames: ['no', 'yes'], normalization: { scale: 1 / 255, mean: [0], std: [1] }, seed: 1 });
      const dir = join(await makeTmpDir(), 'seq');
      await saveModel(loadedIn, dir);
      const loaded = await loadModel(join(dir, 'model.json'));
      const x = randomImages(2, [8, 8, 1], 1);
      assert.deepEqual(predictValues(loaded.model, x), predictValues(model, x));
      assert.deepEqual(loaded.meta.classNames, ['no', 'yes']);
      x.dispose();
      loaded.model.dispose();
      model.dispose();
    });
  });

  it('stores the meta where tfjs itself round-trips it (userDefinedMetadata.biasAudit)', async () => {
    const foundation = tinyFoundation(1);
    const dir = join(await makeTmpDir(), 'm');
    await saveModel(foundation, dir);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
    const weights = await readFile(join(dir, 'weights.bin'));
    // Load through tfjs' own in-memory handler, not ours.
    const viaTfjs = await tfl.loadLayersModel(
      tf.io.fromMemory({
        ...(json as unknown as tf.io.ModelJSON),
        weightSpecs: json.weightsManifest[0].weights,
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      } as tf.io.ModelArtifacts),
    );
    assert.deepEqual((viaTfjs.getUserDefinedMetadata() as Record<string, unknown>).biasAudit, JSON.parse(JSON.stringify(foundation.meta)));
    viaTfjs.dispose();
    foundation.model.dispose();
  });

  it('keeps trainable flags and the BatchNorm policy of a child across save and load', async () => {
    await assertNoLeak(async () => {
      const foundation = tinyFoundation(2);
      const child = await deriveChild(foundation, { classNames: ['a', 'b', 'c'], freezeDepth: 2, seed: 9 });
      const dir = join(await makeTmpDir(), 'child');
      await saveModel(child, dir);
      const loaded = await loadModel(dir);
      const frozen = new Set(child.meta.lineage!.frozenLayers);
      assert.ok(frozen.size > 0);
      for (const layer of loaded.model.layers) {
        assert.equal(layer.trainable, !frozen.has(layer.name), `trainable flag of ${layer.name}`);
        // The tf.Variables must agree too: an optimizer given no variable list trains every trainable one.
        for (const w of layer.trainableWeights) assert.equal((w.read() as tf.Variable).trainable, true, w.name);
        if (frozen.has(layer.name)) for (const w of layer.weights) assert.equal((w.read() as tf.Variable).trainable, false, w.name);
        if (layer.getClassName() === 'BatchNormalization') assert.equal(isBatchNormStatisticsFrozen(layer), frozen.has(layer.name), layer.name);
      }
      assert.deepEqual(loaded.meta.lineage, child.meta.lineage);
      assert.deepEqual(loaded.meta.frozenWeightHashes, child.meta.frozenWeightHashes);
      loaded.model.dispose();
      child.model.dispose();
      foundation.model.dispose();
    });
  });

  it('keeps a foreign checkpoint\'s non-trainable layers frozen, BatchNorm in inference mode (the Keras rule)', async () => {
    await assertNoLeak(async () => {
      const foundation = tinyFoundation(1);
      const dir = join(await makeTmpDir(), 'keras');
      await saveModel(foundation, dir);
      foundation.model.dispose();
      const file = join(dir, 'model.json');
      const json = JSON.parse(await readFile(file, 'utf8')) as { userDefinedMetadata?: unknown; modelTopology: { config: { layers: { name: string; config: { trainable: boolean } }[] } } };
      delete json.userDefinedMetadata;
      for (const layer of json.modelTopology.config.layers) if (layer.name.startsWith('conv1_')) layer.config.trainable = false;
      await writeFile(file, JSON.stringify(json));
      const loaded = await loadModel(dir);
      const bn = loaded.model.getLayer('conv1_bn');
      assert.equal(bn.trainable, false);
      assert.ok(isBatchNormStatisticsFrozen(bn));
      assert.ok(loaded.model.getLayer('conv1_conv').weights.every((w) => !(w.read() as tf.Variable).trainable), 'variables of a non-trainable layer are not trainable');
      assert.ok(!isBatchNormStatisticsFrozen(loaded.model.getLayer('conv2_block1_1_bn')));
      loaded.model.dispose();
    });
  });

  it('replaces an existing checkpoint folder atomically', async () => {
    const a = tinyFoundation(1);
    const b = tinyFoundation(2);
    const dir = join(await makeTmpDir(), 'ckpt');
    await saveModel(a, dir);
    await writeFile(join(dir, 'stale.txt'), 'from an older save');
    await saveModel(b, dir);
    assert.deepEqual((await readdir(dir)).sort(), ['classes.txt', 'model.json', 'weights.bin']);
    const loaded = await loadModel(dir);
    assert.equal(modelHash(loaded.model), modelHash(b.model));
    assert.notEqual(modelHash(loaded.model), modelHash(a.model));
    for (const m of [a.model, b.model, loaded.model]) m.dispose();
  });
});
