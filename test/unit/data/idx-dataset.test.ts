import { strict as assert } from 'node:assert';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readIdxFile } from '../../../src/engine/data/idx';
import { openDataset } from '../../../src/engine/data/open-dataset';
import { resizeBilinear } from '../../../src/engine/data/resize';
import { SAMPLE, sampleSpec, tempDir, writeTinyIdx } from './helpers';

const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

describe('IDX datasets', () => {
  it('opens the bundled sample with class names from classes.txt and balanced classes', async () => {
    const expected = { pretrain: 500, finetune: 200, test: 100 } as const;
    for (const split of ['pretrain', 'finetune', 'test'] as const) {
      const data = await openDataset(sampleSpec(split));
      assert.deepEqual(data.classNames, FASHION_CLASSES);
      assert.deepEqual(data.classCounts, FASHION_CLASSES.map(() => expected[split]), split);
      assert.deepEqual(await data.nativeShape(), { height: 28, width: 28, channels: 1 });
    }
  });

  it('decodes IDX pixels exactly from the bytes, as grayscale or repeated into RGB', async () => {
    const data = await openDataset(sampleSpec('test'));
    const raw = await readIdxFile(join(SAMPLE, 'test-images-idx3-ubyte.gz'));
    for (const index of [0, 1, 999]) {
      const record = data.samples[index].idxRecord as number;
      const bytes = raw.array.data.subarray(record * 784, (record + 1) * 784);
      const gray = await data.loadImage(index, { height: 28, width: 28, channels: 1 });
      assert.deepEqual(Array.from(gray.pixels), Array.from(bytes));
      const rgb = await data.loadImage(index, { height: 28, width: 28, channels: 3 });
      for (let p = 0; p < 784; p++) for (let c = 0; c < 3; c++) assert.equal(rgb.pixels[3 * p + c], bytes[p]);
    }
  });

  it('resizes IDX images bilinearly (PIL-style) when the model wants another size', async () => {
    const data = await openDataset(sampleSpec('test'));
    const original = await data.loadImage(0, { height: 28, width: 28, channels: 1 });
    const resized = await data.loadImage(0, { height: 32, width: 32, channels: 3 });
    assert.equal(resized.pixels.length, 32 * 32 * 3);
    const expected = resizeBilinear(original.pixels, 28, 28, 1, 32, 32);
    for (let p = 0; p < 32 * 32; p++) for (let c = 0; c < 3; c++) assert.equal(resized.pixels[3 * p + c], expected[p]);
    const mean = (values: Float32Array): number => values.reduce((a, b) => a + b, 0) / values.length;
    assert.ok(Math.abs(mean(resized.pixels) - mean(original.pixels)) < 3, 'resizing keeps the mean brightness');
    const small = await data.loadImage(0, { height: 14, width: 14, channels: 1 });
    assert.deepEqual(Array.from(small.pixels), Array.from(resizeBilinear(original.pixels, 28, 28, 1, 14, 14)));
  });

  it('filters classes by index range and names, renumbering, and limits per class (first in file order)', async () => {
    const full = await openDataset(sampleSpec('test'));
    const data = await openDataset(`${sampleSpec('test')}?classes=5-7&perClass=10`);
    assert.deepEqual(data.classNames, ['Sandal', 'Shirt', 'Sneaker']);
    assert.deepEqual(data.classCounts, [10, 10, 10]);
    for (const source of [5, 6, 7]) {
      const firstTen = full.samples.filter((s) => s.label === source).slice(0, 10).map((s) => s.idxRecord);
      assert.deepEqual(data.samples.filter((s) => s.sourceLabel === source).map((s) => s.idxRecord), firstTen);
    }
    assert.ok(data.samples.every((s) => s.label === s.sourceLabel - 5));
    const byName = await openDataset(sampleSpec('test'), { classes: ['Bag', 'T-shirt/top'], perClass: 3 });
    assert.deepEqual(byName.classNames, ['T-shirt/top', 'Bag']);
    assert.deepEqual(byName.classCounts, [3, 3]);
    // Selected images still decode from the compacted buffer.
    const first = byName.samples[0];
    const fromFull = await full.loadImage(full.samples.findIndex((s) => s.idxRecord === first.idxRecord), { height: 28, width: 28, channels: 1 });
    assert.deepEqual(Array.from((await byName.loadImage(0, { height: 28, width: 28, channels: 1 })).pixels), Array.from(fromFull.pixels));
  });

  it('draws a seeded random per-class subset when perClassSeed is set', async () => {
    const spec = `${sampleSpec('test')}?perClass=5&perClassSeed=`;
    const a = (await openDataset(`${spec}1`)).samples.map((s) => s.idxRecord);
    const again = (await openDataset(`${spec}1`)).samples.map((s) => s.idxRecord);
    const b = (await openDataset(`${spec}2`)).samples.map((s) => s.idxRecord);
    const first = (await openDataset(`${sampleSpec('test')}?perClass=5`)).samples.map((s) => s.idxRecord);
    assert.equal(a.length, 50);
    assert.deepEqual(a, again);
    assert.notDeepEqual(a, b);
    assert.notDeepEqual(a, first);
    assert.deepEqual([...a].sort((x, y) => (x as number) - (y as number)), a, 'listed in source order');
  });

  it('reads raw and gzipped IDX and 4-D RGB images; names classes 0..max without classes.txt', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const spec = await writeTinyIdx(dir, { count: 4, height: 2, width: 3, channels: 3, labels: [0, 2, 2, 0], gzip: true });
      const data = await openDataset(spec);
      assert.deepEqual(data.classNames, ['0', '1', '2']);
      assert.deepEqual(data.classCounts, [2, 0, 2]);
      const rgb = await data.loadImage(1, { height: 2, width: 3, channels: 3 });
      assert.deepEqual(Array.from(rgb.pixels), Array.from({ length: 18 }, (_, i) => ((18 + i) * 13) % 256));
      const gray = await data.loadImage(1, { height: 2, width: 3, channels: 1 });
      for (let p = 0; p < 6; p++) {
        const [r, g, b] = rgb.pixels.subarray(3 * p, 3 * p + 3);
        assert.ok(Math.abs(gray.pixels[p] - (0.299 * r + 0.587 * g + 0.114 * b)) < 1e-3);
      }
      const { dir: rawDir, cleanup: cleanupRaw } = await tempDir();
      try {
        const rawSpec = await writeTinyIdx(rawDir, { count: 4, height: 2, width: 3, channels: 3, labels: [0, 2, 2, 0] });
        assert.equal(await (await openDataset(rawSpec)).contentHash(), await data.contentHash(), 'gzip or not, same content');
      } finally {
        await cleanupRaw();
      }
    } finally {
      await cleanup();
    }
  });

  it('has a stable content hash that depends on the selection', async () => {
    const a = await (await openDataset(sampleSpec('test'))).contentHash();
    assert.equal(await (await openDataset(sampleSpec('test'))).contentHash(), a);
    assert.notEqual(await (await openDataset(`${sampleSpec('test')}?perClass=99`)).contentHash(), a);
    assert.notEqual(await (await openDataset(sampleSpec('finetune'))).contentHash(), a);
    // Same bytes under other names: same content.
    const { dir, cleanup } = await tempDir();
    try {
      await writeFile(join(dir, 'x.gz'), await readFile(join(SAMPLE, 'test-images-idx3-ubyte.gz')));
      await writeFile(join(dir, 'y.gz'), await readFile(join(SAMPLE, 'test-labels-idx1-ubyte.gz')));
      await writeFile(join(dir, 'classes.txt'), await readFile(join(SAMPLE, 'classes.txt')));
      assert.equal(await (await openDataset(`idx:${join(dir, 'x.gz')},${join(dir, 'y.gz')}`)).contentHash(), a);
    } finally {
      await cleanup();
    }
  });
});
