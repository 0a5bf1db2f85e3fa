import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importCheckpoint } from '../../../src/engine/import/import-checkpoint';
import { recognizeTorchResNet } from '../../../src/engine/import/torchvision-resnet-spec';
import { blockMap } from '../../../src/engine/model/blocks';
import { AuditError } from '../../../src/engine/util/errors';
import { assertNoLeak, useBackend } from '../helpers/tf';
import { safetensorsBytes } from './import-test-helpers';

/**
 * Parameter names and shapes of torchvision.models.resnetXX(num_classes), written out from torchvision's
 * module structure (conv1/bn1, layerN.i.convK/bnK, downsample.0/1, fc), independently of the importer.
 */
function torchvisionShapes(kind: 'basic' | 'bottleneck', layers: number[], numClasses = 1000): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const bn = (prefix: string, c: number): void => {
    for (const s of ['weight', 'bias', 'running_mean', 'running_var']) shapes.set(`${prefix}.${s}`, [c]);
    shapes.set(`${prefix}.num_batches_tracked`, []);
  };
  shapes.set('conv1.weight', [64, 3, 7, 7]);
  bn('bn1', 64);
  const expansion = kind === 'basic' ? 1 : 4;
  let inplanes = 64;
  layers.forEach((blocks, s) => {
    const planes = 64 * 2 ** s;
    for (let b = 0; b < blocks; b++) {
      const p = `layer${s + 1}.${b}`;
      const stride = s > 0 && b === 0 ? 2 : 1;
      if (kind === 'basic') {
        shapes.set(`${p}.conv1.weight`, [planes, inplanes, 3, 3]);
        bn(`${p}.bn1`, planes);
        shapes.set(`${p}.conv2.weight`, [planes, planes, 3, 3]);
        bn(`${p}.bn2`, planes);
      } else {
        shapes.set(`${p}.conv1.weight`, [planes, inplanes, 1, 1]);
        bn(`${p}.bn1`, planes);
        shapes.set(`${p}.conv2.weight`, [planes, planes, 3, 3]);
        bn(`${p}.bn2`, planes);
        shapes.set(`${p}.conv3.weight`, [planes * 4, planes, 1, 1]);
        bn(`${p}.bn3`, planes * 4);
      }
      if (stride !== 1 || inplanes !== planes * expansion) {
        shapes.set(`${p}.downsample.0.weight`, [planes * expansion, inplanes, 1, 1]);
        bn(`${p}.downsample.1`, planes * expansion);
      }
      inplanes = planes * expansion;
    }
  });
  shapes.set('fc.weight', [numClasses, inplanes]);
  shapes.set('fc.bias', [numClasses]);
  return shapes;
}

function rejectsWith(shapes: Map<string, number[]>, pattern: RegExp): void {
  assert.throws(
    () => recognizeTorchResNet(shapes, 'odd.pth'),
    (e: unknown) => e instanceof AuditError && e.code === 'UNKNOWN_ARCHITECTURE' && e.message.startsWith('odd.pth: the state dict matches no known architecture') && pattern.test(e.message),
  );
}

describe('import: torchvision ResNet recognition', () => {
  before(() => useBackend('cpu'));

  it('recognises ResNet-18/34/50/101/152 by names and shapes', () => {
    const cases: [string, 'basic' | 'bottleneck', number[], number][] = [
      ['resnet18', 'basic', [2, 2, 2, 2], 512],
      ['resnet34', 'basic', [3, 4, 6, 3], 512],
      ['resnet50', 'bottleneck', [3, 4, 6, 3], 2048],
      ['resnet101', 'bottleneck', [3, 4, 23, 3], 2048],
      ['resnet152', 'bottleneck', [3, 8, 36, 3], 2048],
    ];
    for (const [name, kind, layers, features] of cases) {
      const spec = recognizeTorchResNet(torchvisionShapes(kind, layers), `${name}.pth`);
      assert.equal(spec.architecture, name);
      assert.equal(spec.family, kind);
      assert.deepEqual(spec.stages.map((s) => s.length), layers);
      assert.equal(spec.features, features);
      assert.equal(spec.numClasses, 1000);
      // torchvision v1.5: the first block of layer2..4 strides, the others do not.
      assert.deepEqual(spec.stages.map((s) => s.map((b) => b.stride)).flat(), layers.flatMap((n, s) => Array.from({ length: n }, (_, b) => (s > 0 && b === 0 ? 2 : 1))));
    }
  });

  it('builds the real-width ResNet-18 with torchvision\'s parameter count and block map', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'import-r18-'));
    try {
      const shapes = torchvisionShapes('basic', [2, 2, 2, 2]);
      let seed = 1;
      const tensors = new Map<string, { shape: number[]; values: Float32Array }>();
      for (const [name, shape] of shapes) {
        const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
        // running_var must be positive; everything else small pseudo-random numbers.
        for (let i = 0; i < values.length; i++) values[i] = name.endsWith('running_var') ? 1 : ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.1;
        tensors.set(name, { shape, values });
      }
      const file = join(dir, 'resnet18.safetensors');
      await writeFile(file, safetensorsBytes(tensors));
      await assertNoLeak(async () => {
        const imported = await importCheckpoint(file, { inputShape: [64, 64, 3] });
        try {
          const trainable = imported.model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce((a: number, b) => a * (b ?? 0), 1), 0);
          assert.equal(trainable, 11_689_512, 'torchvision.models.resnet18() has 11,689,512 parameters');
          assert.equal(imported.meta.architecture, 'resnet18');
          assert.deepEqual(imported.model.outputs[0].shape, [null, 1000]);
          assert.deepEqual(blockMap(imported.model, imported.meta).map((b) => b.name), ['stem', 'layer1', 'layer2', 'layer3', 'layer4']);
          assert.deepEqual(imported.meta.inputShape, [64, 64, 3]);
          const y = tf.tidy(() => (imported.model.predict(tf.zeros([1, 64, 64, 3])) as tf.Tensor).shape);
          assert.deepEqual(y, [1, 1000]);
        } finally {
          imported.model.dispose();
        }
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lists what it recognised when a state dict is not a torchvision ResNet', () => {
    const noStage = torchvisionShapes('basic', [2, 2, 2, 2]);
    for (const key of [...noStage.keys()]) if (key.startsWith('layer3.')) noStage.delete(key);
    rejectsWith(noStage, /Recognised: stem conv1 64x3x7x7 \+ bn1; layer1: 2 BasicBlocks, 64 -> 64 channels; layer2: 2 BasicBlocks, 64 -> 128 channels.*layer3 has no blocks/);
    rejectsWith(new Map([['features.0.weight', [64, 3, 3, 3]], ['classifier.6.weight', [1000, 4096]]]), /Recognised: nothing.*no conv1\.weight.*features\.0\.weight/);
    const extra = torchvisionShapes('basic', [2, 2, 2, 2]);
    extra.set('layer1.0.se.fc1.weight', [4, 64, 1, 1]);
    rejectsWith(extra, /parameters no torchvision ResNet has: layer1\.0\.se\.fc1\.weight/);
  });

  it('refuses grouped bottlenecks (ResNeXt) by name', () => {
    const shapes = torchvisionShapes('bottleneck', [3, 4, 6, 3]);
    shapes.set('layer1.0.conv2.weight', [64, 2, 3, 3]);
    rejectsWith(shapes, /layer1\.0\.conv2 is a grouped convolution/);
  });

  it('names wide and narrow variants by their widths', () => {
    const wide = torchvisionShapes('bottleneck', [3, 4, 6, 3]);
    for (const [k, v] of wide) {
      // wide_resnet50_2 doubles the bottleneck width: conv1 out, conv2 in/out, conv3 in, bn1/bn2.
      if (/\.conv1\.weight$/.test(k) && k.startsWith('layer')) wide.set(k, [v[0] * 2, v[1], 1, 1]);
      if (/\.conv2\.weight$/.test(k)) wide.set(k, [v[0] * 2, v[1] * 2, 3, 3]);
      if (/\.conv3\.weight$/.test(k)) wide.set(k, [v[0], v[1] * 2, 1, 1]);
      if (/\.bn[12]\./.test(k) && v.length === 1) wide.set(k, [v[0] * 2]);
    }
    assert.equal(recognizeTorchResNet(wide, 'w.pth').architecture, 'wide_resnet50_2');
  });
});
