import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importCheckpoint, importCheckpointCached, saveImportedModel } from '../../../src/engine/import/import-checkpoint';
import { TORCHVISION_IMAGENET } from '../../../src/engine/import/preprocessing';
import { blockMap } from '../../../src/engine/model/blocks';
import { loadModel } from '../../../src/engine/model/load';
import { assertNoLeak, useBackend } from '../helpers/tf';
import { assertCloseRelative, fixture, logitsAndGradient, readReference } from './import-test-helpers';

/** Our outputs must match PyTorch's to this fraction of the reference's largest magnitude. */
const TOLERANCE = 1e-4;

const CASES: { file: string; reference: string; architecture: RegExp; blocks?: string[] }[] = [
  { file: 'resnet18-narrow.pt', reference: 'resnet18-narrow', architecture: /^resnet18 \(widths 4,8,16,32\)$/, blocks: ['stem', 'layer1', 'layer2', 'layer3', 'layer4'] },
  { file: 'resnet18-narrow.legacy.pt', reference: 'resnet18-narrow', architecture: /^resnet18 /, blocks: ['stem', 'layer1', 'layer2', 'layer3', 'layer4'] },
  { file: 'resnet18-narrow.safetensors', reference: 'resnet18-narrow', architecture: /^resnet18 /, blocks: ['stem', 'layer1', 'layer2', 'layer3', 'layer4'] },
  { file: 'resnet18-narrow.onnx', reference: 'resnet18-narrow', architecture: /^onnx:/, blocks: ['stem', 'layer1', 'layer2', 'layer3', 'layer4'] },
  { file: 'resnet50-narrow.pth', reference: 'resnet50-narrow', architecture: /^resnet50 \(widths 4,8,8,8\)$/, blocks: ['stem', 'layer1', 'layer2', 'layer3', 'layer4'] },
  { file: 'tiny-cnn.onnx', reference: 'tiny-cnn', architecture: /^onnx:/ },
  { file: 'tiny-cnn.float-data.onnx', reference: 'tiny-cnn', architecture: /^onnx:/ },
  { file: 'matmul-add-softmax.onnx', reference: 'matmul-add-softmax', architecture: /^onnx:matmul_add_softmax/ },
];

describe('import: checkpoints match PyTorch', () => {
  before(() => useBackend('cpu'));

  for (const c of CASES) {
    it(`${c.file}: logits and input gradient match PyTorch to ${TOLERANCE} relative`, async () => {
      const reference = readReference(c.reference);
      const [, channels, height, width] = reference.input.shape;
      await assertNoLeak(async () => {
        const imported = await importCheckpoint(fixture(c.file), { inputShape: [height, width, channels] });
        try {
          const { logits, gradient } = logitsAndGradient(imported.model, reference);
          assertCloseRelative(logits, reference.logits.data, TOLERANCE, 'logits');
          assertCloseRelative(gradient, reference.gradient.data, TOLERANCE, `input gradient of class ${reference.gradient.classIndex}`);
          assert.match(imported.meta.architecture, c.architecture);
          assert.deepEqual(imported.meta.inputShape, [height, width, channels]);
          assert.deepEqual(imported.meta.normalization, { scale: 1 / 255, mean: [...TORCHVISION_IMAGENET.mean], std: [...TORCHVISION_IMAGENET.std] });
          assert.equal(imported.report.normalizationSource, 'default:torchvision-imagenet');
          assert.equal(imported.meta.classNames.length, reference.logits.shape[1]);
          assert.equal(imported.meta.lineage?.role, 'foundation');
          if (c.blocks) assert.deepEqual(blockMap(imported.model, imported.meta).map((b) => b.name), c.blocks);
          else assert.equal(imported.meta.blockPrefixes, undefined);
        } finally {
          imported.model.dispose();
        }
      });
    });
  }

  it('converts a BGR checkpoint to take RGB input, with normalisation reordered', async () => {
    const reference = readReference('resnet18-narrow');
    // The same weights, declared BGR: feeding the model channel-reversed input must give PyTorch's logits.
    const imported = await importCheckpoint(fixture('resnet18-narrow.pt'), {
      inputShape: [29, 35, 3],
      channelOrder: 'bgr',
      normalization: { scale: 1, mean: [1, 2, 3], std: [4, 5, 6] },
      classNames: ['a', 'b', 'c', 'd', 'e', 'f', 'g'],
    });
    try {
      const [n, c, h, w] = reference.input.shape;
      const reversed = new Array<number>(reference.input.data.length);
      for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) reversed[(i * c + (c - 1 - ch)) * h * w + p] = reference.input.data[(i * c + ch) * h * w + p];
      const { logits } = logitsAndGradient(imported.model, { ...reference, input: { shape: reference.input.shape, data: reversed } });
      assertCloseRelative(logits, reference.logits.data, TOLERANCE, 'logits of channel-reversed input');
      assert.deepEqual(imported.meta.normalization, { scale: 1, mean: [3, 2, 1], std: [6, 5, 4] });
      assert.deepEqual(imported.meta.classNames, ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
      assert.equal(imported.report.channelOrder, 'bgr');
      assert.equal(imported.report.normalizationSource, 'given');
    } finally {
      imported.model.dispose();
    }
  });

  it('refuses class names that do not fit the classifier, and a wrong input channel count', async () => {
    await assert.rejects(importCheckpoint(fixture('resnet18-narrow.pt'), { classNames: ['only', 'two'] }), /2 class names were given but the checkpoint's classifier has 7 outputs/);
    await assert.rejects(importCheckpoint(fixture('resnet18-narrow.pt'), { inputShape: [32, 32, 1] }), /stem takes 3 channels but the input shape has 1/);
    await assert.rejects(importCheckpoint(fixture('tiny-cnn.onnx'), { inputShape: [20, 17, 3] }), /fixed at 3x13x17 \(CxHxW\)/);
  });

  for (const file of ['resnet18-narrow.pt', 'tiny-cnn.onnx']) {
    it(`${file}: saved in the engine format, it loads back with the same outputs and meta`, async () => {
      const reference = readReference(file.startsWith('tiny') ? 'tiny-cnn' : 'resnet18-narrow');
      const [, c, h, w] = reference.input.shape;
      const dir = await mkdtemp(join(tmpdir(), 'import-save-'));
      try {
        const imported = await importCheckpoint(fixture(file), { inputShape: [h, w, c] });
        const before = logitsAndGradient(imported.model, reference).logits;
        await saveImportedModel(imported, join(dir, 'model'));
        imported.model.dispose();
        const loaded = await loadModel(join(dir, 'model'));
        try {
          assert.deepEqual(Array.from(logitsAndGradient(loaded.model, reference).logits), Array.from(before));
          assert.deepEqual(loaded.meta.blockPrefixes, imported.meta.blockPrefixes);
          assert.equal(loaded.meta.architecture, imported.meta.architecture);
          assert.deepEqual((loaded.meta.lineage?.recipe?.import as { sha256: string }).sha256, imported.report.sha256);
        } finally {
          loaded.model.dispose();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('imports once into a cache and loads from it afterwards', async () => {
    const reference = readReference('resnet18-narrow');
    const cache = await mkdtemp(join(tmpdir(), 'import-cache-'));
    try {
      const first = await importCheckpointCached(fixture('resnet18-narrow.safetensors'), { inputShape: [29, 35, 3] }, cache);
      const logits = logitsAndGradient(first.loaded.model, reference).logits;
      first.loaded.model.dispose();
      const second = await importCheckpointCached(fixture('resnet18-narrow.safetensors'), { inputShape: [29, 35, 3] }, cache);
      try {
        assert.equal(first.fromCache, false);
        assert.equal(second.fromCache, true);
        assert.equal(second.dir, first.dir);
        assert.deepEqual(second.report, first.report);
        assert.deepEqual(Array.from(logitsAndGradient(second.loaded.model, reference).logits), Array.from(logits));
      } finally {
        second.loaded.model.dispose();
      }
      const other = await importCheckpointCached(fixture('resnet18-narrow.safetensors'), { inputShape: [32, 32, 3] }, cache);
      other.loaded.model.dispose();
      assert.equal(other.fromCache, false, 'different options are a different cache entry');
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });

  it('leaves no tensor behind when an import fails after building', async () => {
    const variables = Object.keys(tf.engine().registeredVariables).length;
    await assertNoLeak(() => assert.rejects(importCheckpoint(fixture('resnet18-narrow.pt'), { inputShape: [29, 35, 3], classNames: ['x'] }), /1 class names/));
    assert.equal(Object.keys(tf.engine().registeredVariables).length, variables, 'the half-imported model\'s variables were disposed');
  });
});
