import { strict as assert } from 'node:assert';
import { checkInputShape } from '../../../src/engine/model/input-shape';
import { AuditError } from '../../../src/engine/util/errors';

const meta = { inputShape: [32, 32, 3] as [number, number, number], architecture: 'resnet18' };

describe('model: checkInputShape', () => {
  it('accepts matching images and batches', () => {
    checkInputShape(meta, [32, 32, 3]);
    checkInputShape(meta, [16, 32, 32, 3]);
  });

  it('says how to fix a size mismatch, naming the model file', () => {
    assert.throws(
      () => checkInputShape(meta, [28, 28, 3], { model: 'child/model.json', data: 'idx:train.gz' }),
      (e: unknown) => e instanceof AuditError && e.file === 'child/model.json' && /expects 32x32x3 images but idx:train\.gz gives 28x28x3: resize the images to 32x32 \(e\.g\. --input-size 32\)/.test(e.message),
    );
  });

  it('says how to fix a channel mismatch', () => {
    assert.throws(() => checkInputShape(meta, [32, 32, 1]), /gives 32x32x1: convert grayscale to RGB/);
    assert.throws(() => checkInputShape({ ...meta, inputShape: [28, 28, 1] }, [28, 28, 3]), /convert RGB to grayscale/);
    assert.throws(() => checkInputShape(meta, [28, 28, 1]), /resize the images to 32x32 .* and convert grayscale to RGB/);
  });

  it('rejects shapes that are not images', () => {
    assert.throws(() => checkInputShape(meta, [784]), /images must be \[height, width, channels\]/);
  });
});
