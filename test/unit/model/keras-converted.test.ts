import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { analyzeBlocks } from '../../../src/engine/model/blocks';
import { buildResNet50 } from '../../../src/engine/model/builders/resnet';
import { deriveChild } from '../../../src/engine/model/child';
import { loadModel } from '../../../src/engine/model/load';
import { splitAtBlock } from '../../../src/engine/model/split';
import { assertNoLeak, useBackend } from '../helpers/tf';
import { makeTmpDir, maxAbsDiff, predictValues, randomImages, removeTmpDirs, writeKerasConverted } from './fixtures';

describe('model: Keras ResNet50 converted by tensorflowjs_converter', () => {
  before(() => useBackend('cpu'));
  after(() => removeTmpDirs());

  for (const dialect of ['keras2', 'keras3'] as const) {
    it(`loads a ${dialect} model.json with sharded weights: same predictions, Keras block map`, async () => {
      await assertNoLeak(async () => {
        // The real topology (177 layers, Keras names) at width 4 instead of 64, so the fixture stays small.
        const original = buildResNet50({ inputShape: [32, 32, 3], numClasses: 5, seed: 3, width: 4, stem: 'imagenet', outputActivation: 'softmax' });
        const dir = await makeTmpDir();
        await writeKerasConverted(original, dir, dialect, 3);
        await writeFile(join(dir, 'classes.txt'), 'daisy\ndandelion\nrose\nsunflower\ntulip\n');
        const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
        assert.equal(json.weightsManifest[0].paths.length, 3);

        const loaded = await loadModel(dir);
        const x = randomImages(2, [32, 32, 3], 6);
        const expected = predictValues(original, x);
        const actual = predictValues(loaded.model, x);
        assert.deepEqual(actual, expected);
        assert.deepEqual(loaded.meta.classNames, ['daisy', 'dandelion', 'rose', 'sunflower', 'tulip']);
        assert.equal(loaded.meta.architecture, 'resnet50');
        assert.deepEqual(loaded.meta.inputShape, [32, 32, 3]);
        const analysis = analyzeBlocks(loaded.model, loaded.meta);
        assert.equal(analysis.method, 'keras-resnet');
        assert.deepEqual(analysis.blocks.map((b) => b.name), ['conv1', 'conv2', 'conv3', 'conv4', 'conv5']);

        // The usual next steps work on it: a fixed-feature child, and a split after conv4.
        const child = await deriveChild(loaded, { classNames: ['a', 'b'], freezeDepth: 'fixed', seed: 1 });
        const { prefix, suffix } = splitAtBlock(child.model, analysis.blocks, 4);
        const features = prefix.predict(x) as tf.Tensor;
        const viaSplit = suffix.predict(features) as tf.Tensor;
        const direct = child.model.predict(x) as tf.Tensor;
        assert.ok(maxAbsDiff(viaSplit, direct) < 1e-5);
        tf.dispose([x, features, viaSplit, direct]);
        for (const m of [prefix, suffix, original, loaded.model, child.model]) m.dispose();
      });
    });
  }
});
