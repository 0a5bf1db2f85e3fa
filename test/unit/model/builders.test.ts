import type * as tfl from '@tensorflow/tfjs-layers';
import { strict as assert } from 'node:assert';
import { buildResNet18, buildResNet50 } from '../../../src/engine/model/builders/resnet';
import { buildSmallResNet } from '../../../src/engine/model/builders/small-resnet';
import { modelHash } from '../../../src/engine/model/model-hash';
import { AuditError } from '../../../src/engine/util/errors';
import { assertNoLeak, useBackend } from '../helpers/tf';

function trainableParams(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}

function outputShapeOf(model: tfl.LayersModel, layer: string): (number | null)[] {
  return model.getLayer(layer).outputShape as (number | null)[];
}

describe('model: builders', () => {
  before(() => useBackend('cpu'));

  it('ResNet-50 matches keras.applications.ResNet50: 25,636,712 parameters, 177 layers, the same names', async () => {
    await assertNoLeak(() => {
      const model = buildResNet50({ inputShape: [224, 224, 3], numClasses: 1000, seed: 1, outputActivation: 'softmax' });
      // Keras' model.summary(): Total params 25,636,712, non-trainable 53,120 (BatchNorm moving statistics).
      assert.equal(model.countParams(), 25_636_712);
      assert.equal(model.countParams() - trainableParams(model), 53_120);
      assert.equal(model.layers.length, 177);
      for (const name of ['conv1_pad', 'conv1_conv', 'conv1_bn', 'conv1_relu', 'pool1_pad', 'pool1_pool', 'conv2_block1_0_conv', 'conv2_block1_3_bn', 'conv4_block6_out', 'conv5_block3_add', 'avg_pool', 'predictions']) {
        assert.ok(model.getLayer(name), name);
      }
      assert.deepEqual(outputShapeOf(model, 'conv5_block3_out'), [null, 7, 7, 2048]);
      model.dispose();
    });
  });

  it('ResNet-18 has torchvision resnet18\'s 11,689,512 trainable parameters and Keras stage naming', () => {
    const model = buildResNet18({ inputShape: [224, 224, 3], numClasses: 1000, seed: 1 });
    assert.equal(trainableParams(model), 11_689_512);
    assert.deepEqual(outputShapeOf(model, 'conv1_relu'), [null, 112, 112, 64]);
    assert.deepEqual(outputShapeOf(model, 'conv5_block2_out'), [null, 7, 7, 512]);
    assert.ok(model.getLayer('conv3_block1_0_conv'), 'projection shortcut where the stage downsamples');
    assert.throws(() => model.getLayer('conv2_block1_0_conv'), 'no projection where shape is unchanged');
    model.dispose();
  });

  it('the small-input stem keeps 32x32 detail (CIFAR-style) and is the default below 96 px', () => {
    const small = buildResNet18({ inputShape: [32, 32, 3], numClasses: 10, seed: 1, width: 8 });
    assert.deepEqual(outputShapeOf(small, 'conv1_relu'), [null, 32, 32, 8]);
    assert.deepEqual(outputShapeOf(small, 'conv5_block2_out'), [null, 4, 4, 64]);
    assert.throws(() => small.getLayer('pool1_pool'));
    const imagenet = buildResNet18({ inputShape: [32, 32, 3], numClasses: 10, seed: 1, width: 8, stem: 'imagenet' });
    assert.deepEqual(outputShapeOf(imagenet, 'pool1_pool'), [null, 8, 8, 8]);
    small.dispose();
    imagenet.dispose();
  });

  it('the small ResNet has three stages for 28-64 px inputs and a logits head', () => {
    const model = buildSmallResNet({ inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
    assert.deepEqual(outputShapeOf(model, 'conv2_block1_out'), [null, 28, 28, 8]);
    assert.deepEqual(outputShapeOf(model, 'conv3_block1_out'), [null, 14, 14, 16]);
    assert.deepEqual(outputShapeOf(model, 'conv4_block1_out'), [null, 7, 7, 32]);
    assert.deepEqual(outputShapeOf(model, 'predictions'), [null, 10]);
    assert.equal((model.getLayer('predictions').getConfig() as { activation: string }).activation, 'linear');
    const at64 = buildSmallResNet({ inputShape: [64, 64, 3], numClasses: 5, seed: 1, width: 4, blocksPerStage: [2, 1, 1] });
    assert.deepEqual(outputShapeOf(at64, 'conv4_block1_out'), [null, 16, 16, 16]);
    assert.ok(at64.getLayer('conv2_block2_out'));
    model.dispose();
    at64.dispose();
  });

  it('initialisation is reproducible from the seed and differs between seeds', () => {
    const a = buildSmallResNet({ inputShape: [16, 16, 3], numClasses: 3, seed: 7, width: 4 });
    const b = buildSmallResNet({ inputShape: [16, 16, 3], numClasses: 3, seed: 7, width: 4 });
    const c = buildSmallResNet({ inputShape: [16, 16, 3], numClasses: 3, seed: 8, width: 4 });
    assert.equal(modelHash(a), modelHash(b));
    assert.notEqual(modelHash(a), modelHash(c));
    for (const m of [a, b, c]) m.dispose();
  });

  it('rejects arguments no network can be built from', () => {
    assert.throws(() => buildSmallResNet({ inputShape: [28, 28, 0], numClasses: 10, seed: 1 }), AuditError);
    assert.throws(() => buildResNet18({ inputShape: [32, 32, 3], numClasses: 1, seed: 1 }), /numClasses must be an integer >= 2/);
    assert.throws(() => buildResNet50({ inputShape: [32, 32, 3], numClasses: 10, seed: 1, width: 0 }), /width must be a positive integer/);
  });
});
