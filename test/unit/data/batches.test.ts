import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { type Batch, type BatchOptions, batchPlan, batches } from '../../../src/engine/data/batches';
import type { Dataset } from '../../../src/engine/data/dataset';
import { type Normalization, normalizeInto } from '../../../src/engine/data/normalization';
import { openDataset } from '../../../src/engine/data/open-dataset';
import { CancelledError } from '../../../src/engine/util/errors';
import { assertNoLeak, useBackend } from '../helpers/tf';
import { sampleSpec } from './helpers';

const NORM: Normalization = { scale: 1 / 255, mean: [0.2], std: [0.4] };

/** Collects every batch's data as plain arrays and disposes the tensors. */
async function collect(dataset: Dataset, options: BatchOptions): Promise<{ x: Float32Array; shape: number[]; y: number[]; indices: number[]; dtypes: string[] }[]> {
  const out = [];
  for await (const batch of batches(dataset, options)) {
    out.push({ x: (await batch.x.data()) as Float32Array, shape: batch.x.shape, y: Array.from(await batch.y.data()), indices: batch.indices, dtypes: [batch.x.dtype, batch.y.dtype] });
    batch.x.dispose();
    batch.y.dispose();
  }
  return out;
}

describe('batches', () => {
  let data: Dataset;
  before(async () => {
    await useBackend('cpu');
    data = await openDataset(`${sampleSpec('test')}?perClass=3`); // 30 images, 28x28 gray
  });

  it('yields NHWC float32 normalised images and int32 labels of the right shapes and values', async () => {
    await assertNoLeak(async () => {
      const got = await collect(data, { batchSize: 8, inputShape: [28, 28, 1], normalization: NORM });
      assert.deepEqual(got.map((b) => b.shape), [[8, 28, 28, 1], [8, 28, 28, 1], [8, 28, 28, 1], [6, 28, 28, 1]]);
      assert.ok(got.every((b) => b.dtypes[0] === 'float32' && b.dtypes[1] === 'int32'));
      assert.deepEqual(got.flatMap((b) => b.indices), Array.from({ length: 30 }, (_, i) => i));
      assert.deepEqual(got.flatMap((b) => b.y), data.samples.map((s) => s.label));
      const row = 5;
      const expected = new Float32Array(784);
      normalizeInto((await data.loadImage(got[1].indices[row], { height: 28, width: 28, channels: 1 })).pixels, 1, NORM, expected);
      assert.deepEqual(got[1].x.subarray(row * 784, (row + 1) * 784), expected);
    });
  });

  it('converts and resizes to the input shape (grayscale to RGB at 32x32)', async () => {
    await assertNoLeak(async () => {
      const [first] = await collect(data, { batchSize: 4, inputShape: [32, 32, 3], normalization: { scale: 1, mean: [0], std: [1] }, indices: [0, 1, 2, 3] });
      assert.deepEqual(first.shape, [4, 32, 32, 3]);
      for (let p = 0; p < 4 * 32 * 32; p++) assert.ok(first.x[3 * p] === first.x[3 * p + 1] && first.x[3 * p] === first.x[3 * p + 2]);
      assert.ok(first.x.every((v) => v >= 0 && v <= 255));
    });
  });

  it('shuffles reproducibly for a seed, covers every index once, and honours indices and dropRemainder', async () => {
    const options = { batchSize: 7, shuffle: true, seed: 11 };
    const plan = batchPlan(data, options);
    assert.deepEqual(batchPlan(data, options), plan);
    assert.notDeepEqual(batchPlan(data, { ...options, seed: 12 }), plan);
    assert.deepEqual(plan.flat().sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i));
    assert.notDeepEqual(plan.flat(), Array.from({ length: 30 }, (_, i) => i));
    assert.deepEqual(batchPlan(data, { batchSize: 4, indices: [9, 3, 5, 1, 0] }), [[9, 3, 5, 1], [0]]);
    assert.deepEqual(batchPlan(data, { batchSize: 4, indices: [9, 3, 5, 1, 0], dropRemainder: true }), [[9, 3, 5, 1]]);
    assert.throws(() => batchPlan(data, { batchSize: 4, shuffle: true }), /seed is required/);
    assert.throws(() => batchPlan(data, { batchSize: 0 }), /batchSize/);
    assert.throws(() => batchPlan(data, { batchSize: 2, indices: [30] }), /outside/);
    const streamed = await collect(data, { ...options, inputShape: [28, 28, 1], normalization: NORM });
    assert.deepEqual(streamed.map((b) => b.indices), plan);
  });

  it('augments deterministically per seed and sample, whatever the batch size', async () => {
    const augment = { randomCrop: { padding: 4 }, horizontalFlip: true };
    const base = { inputShape: [28, 28, 1] as const, normalization: NORM, augment };
    await assertNoLeak(async () => {
      const rowsOf = (got: Awaited<ReturnType<typeof collect>>): Map<number, number[]> => {
        const rows = new Map<number, number[]>();
        for (const b of got) b.indices.forEach((index, r) => rows.set(index, Array.from(b.x.subarray(r * 784, (r + 1) * 784))));
        return rows;
      };
      const a = rowsOf(await collect(data, { ...base, batchSize: 8, seed: 5 }));
      const b = rowsOf(await collect(data, { ...base, batchSize: 3, seed: 5, shuffle: true }));
      const c = rowsOf(await collect(data, { ...base, batchSize: 8, seed: 6 }));
      const plain = rowsOf(await collect(data, { batchSize: 8, inputShape: [28, 28, 1], normalization: NORM }));
      for (let i = 0; i < 30; i++) assert.deepEqual(b.get(i), a.get(i), `sample ${i}`);
      const differing = (m: Map<number, number[]>, n: Map<number, number[]>): number => [...m.keys()].filter((k) => JSON.stringify(m.get(k)) !== JSON.stringify(n.get(k))).length;
      assert.ok(differing(a, c) > 20, 'another seed augments differently');
      assert.ok(differing(a, plain) > 20, 'augmentation changes images');
    });
    await assert.rejects(collect(data, { ...base, batchSize: 8 }), /seed is required to augment/);
  });

  it('draws an independent crop and flip for each image', async () => {
    const identity = { scale: 1, mean: [0], std: [1] };
    const plain = await collect(data, { batchSize: 30, inputShape: [28, 28, 1], normalization: identity });
    const augmented = await collect(data, { batchSize: 30, inputShape: [28, 28, 1], normalization: identity, seed: 3, augment: { randomCrop: { padding: 2 }, horizontalFlip: true } });
    /** The (dy, dx, flip) that turns the plain image into the augmented one. */
    const recover = (source: Float32Array, target: Float32Array): string => {
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          for (const flip of [false, true]) {
            let match = true;
            for (let y = 0; y < 28 && match; y++) {
              for (let x = 0; x < 28 && match; x++) {
                const sy = y + dy;
                const sx = x + dx;
                const shifted = sy >= 0 && sy < 28 && sx >= 0 && sx < 28 ? source[sy * 28 + sx] : 0;
                if (target[y * 28 + (flip ? 27 - x : x)] !== shifted) match = false;
              }
            }
            if (match) return `${dy},${dx},${flip}`;
          }
        }
      }
      return 'none';
    };
    const draws = plain[0].indices.map((_, r) => recover(plain[0].x.subarray(r * 784, (r + 1) * 784), augmented[0].x.subarray(r * 784, (r + 1) * 784)));
    assert.ok(!draws.includes('none'), 'every image is a crop-and-flip of its source');
    assert.ok(new Set(draws).size >= 10, `only ${new Set(draws).size} distinct draws over 30 images`);
  });

  it('applies the transform to [0, 255] pixels before normalisation, with the sample index', async () => {
    const seen: number[] = [];
    const transform = (pixels: Float32Array, height: number, width: number, channels: number, sampleIndex: number): void => {
      assert.deepEqual([height, width, channels], [28, 28, 1]);
      seen.push(sampleIndex);
      // A white 3x3 square in the top-left corner.
      for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) pixels[y * 28 + x] = 255;
    };
    await assertNoLeak(async () => {
      const got = await collect(data, { batchSize: 5, inputShape: [28, 28, 1], normalization: NORM, transform, indices: [4, 2, 7] });
      assert.deepEqual(seen.sort((a, b) => a - b), [2, 4, 7]);
      const white = (255 / 255 - 0.2) / 0.4;
      for (let r = 0; r < 3; r++) {
        for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) assert.ok(Math.abs(got[0].x[r * 784 + y * 28 + x] - white) < 1e-6);
      }
    });
  });

  it('decodes lazily, at most one batch ahead of the consumer', async () => {
    let loads = 0;
    const counting: Dataset = { ...data, loadImage: (index, shape) => ((loads += 1), data.loadImage(index, shape)) };
    await assertNoLeak(async () => {
      let received = 0;
      for await (const batch of batches(counting, { batchSize: 4, inputShape: [28, 28, 1], normalization: NORM })) {
        received++;
        // Decoding the next batch may have started, never the one after.
        assert.ok(loads <= (received + 1) * 4, `${loads} images decoded with ${received} batch(es) handed out`);
        batch.x.dispose();
        batch.y.dispose();
      }
      assert.equal(loads, 30);
    });
  });

  it('leaks no tensor when the consumer stops early, and cancels between batches', async () => {
    await assertNoLeak(async () => {
      for await (const batch of batches(data, { batchSize: 4, inputShape: [28, 28, 1], normalization: NORM })) {
        batch.x.dispose();
        batch.y.dispose();
        break;
      }
    });
    const controller = new AbortController();
    let handed = 0;
    await assertNoLeak(async () => {
      await assert.rejects(async () => {
        for await (const batch of batches(data, { batchSize: 4, inputShape: [28, 28, 1], normalization: NORM, signal: controller.signal })) {
          handed++;
          batch.x.dispose();
          batch.y.dispose();
          controller.abort();
        }
      }, CancelledError);
    });
    assert.equal(handed, 1);
  });

  it('leaks no tensor over a full pass of the finetune split with augmentation at 32x32 RGB', async () => {
    const finetune = await openDataset(sampleSpec('finetune'));
    const before = tf.memory().numTensors;
    let images = 0;
    let last: Batch | undefined;
    for await (const batch of batches(finetune, { batchSize: 64, inputShape: [32, 32, 3], normalization: NORM, shuffle: true, seed: 1, augment: { randomCrop: { padding: 4 }, horizontalFlip: true } })) {
      images += batch.x.shape[0];
      assert.equal(tf.memory().numTensors, before + 2, 'only the batch held by the consumer is alive');
      last = batch;
      batch.x.dispose();
      batch.y.dispose();
    }
    assert.equal(images, 2000);
    assert.ok(last !== undefined && last.x.isDisposed);
    assert.equal(tf.memory().numTensors, before);
  });
});
