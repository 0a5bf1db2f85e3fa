import { strict as assert } from 'node:assert';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { openDataset } from '../../../src/engine/data/open-dataset';
import { FIXTURE_IMAGES, fixturePixels } from './fixture-images';
import { FIXTURES, tempDir } from './helpers';

const FOLDER = join(FIXTURES, 'folder');

/** Index of the sample whose path ends with `relative` (e.g. `circle/a.png`). */
function sampleAt(samples: readonly { path?: string }[], relative: string): number {
  const index = samples.findIndex((s) => s.path?.endsWith(join('folder', relative)));
  assert.ok(index >= 0, `no sample ${relative}`);
  return index;
}

describe('ImageFolder datasets', () => {
  it('lists classes in folder order, images recursively, and ignores stray files and hidden folders', async () => {
    const data = await openDataset(FOLDER);
    assert.deepEqual(data.classNames, ['circle', 'square', 'stripes']);
    assert.deepEqual(data.sourceClassNames, data.classNames);
    assert.deepEqual(data.classCounts, [3, 3, 3]);
    assert.deepEqual(
      data.samples.map((s) => s.path?.slice(FOLDER.length + 1)),
      ['circle/a.png', 'circle/b.jpg', 'circle/c.webp', 'square/a.png', 'square/b.png', 'square/c.jpeg', 'stripes/a.webp', 'stripes/c.png', 'stripes/nested/b.png'],
    );
    assert.deepEqual(
      data.samples.map((s) => s.label),
      [0, 0, 0, 1, 1, 1, 2, 2, 2],
    );
    data.samples.forEach((s, i) => assert.equal(s.index, i));
    assert.deepEqual(data.attributeNames, []);
    assert.equal(data.specString, `folder:${FOLDER}`);
  });

  it('decodes lossless PNG and WebP to their exact pixels in [0, 255]', async () => {
    const data = await openDataset(FOLDER);
    for (const image of FIXTURE_IMAGES.filter((i) => i.format !== 'jpeg' && i.channels === 3)) {
      const decoded = await data.loadImage(sampleAt(data.samples, image.path.slice('folder/'.length)), { height: image.height, width: image.width, channels: 3 });
      assert.equal(decoded.pixels.length, image.height * image.width * 3);
      assert.deepEqual(Array.from(decoded.pixels), Array.from(fixturePixels(image)), image.path);
    }
  });

  it('decodes JPEG close to its source pixels', async () => {
    const data = await openDataset(FOLDER);
    const image = FIXTURE_IMAGES.find((i) => i.path === 'folder/circle/b.jpg');
    assert.ok(image);
    const { pixels } = await data.loadImage(sampleAt(data.samples, 'circle/b.jpg'), { height: 10, width: 12, channels: 3 });
    const expected = fixturePixels(image);
    const meanError = pixels.reduce((sum, v, i) => sum + Math.abs(v - expected[i]), 0) / pixels.length;
    assert.ok(meanError < 6, `mean absolute JPEG error ${meanError}`);
  });

  it('converts grayscale to RGB by repeating the value, and RGB to grayscale by BT.601 luma', async () => {
    const data = await openDataset(FOLDER);
    const gray = FIXTURE_IMAGES.find((i) => i.path === 'folder/square/a.png');
    assert.ok(gray);
    assert.equal((await sharp(join(FIXTURES, gray.path)).metadata()).channels, 1, 'the fixture PNG is single-channel');
    const index = sampleAt(data.samples, 'square/a.png');
    const rgb = await data.loadImage(index, { height: 8, width: 8, channels: 3 });
    const expected = fixturePixels(gray);
    for (let p = 0; p < 64; p++) for (let c = 0; c < 3; c++) assert.equal(rgb.pixels[3 * p + c], expected[p]);
    const same = await data.loadImage(index, { height: 8, width: 8, channels: 1 });
    assert.deepEqual(Array.from(same.pixels), Array.from(expected));

    const colour = FIXTURE_IMAGES.find((i) => i.path === 'folder/stripes/c.png');
    assert.ok(colour);
    const luma = await data.loadImage(sampleAt(data.samples, 'stripes/c.png'), { height: 6, width: 6, channels: 1 });
    const source = fixturePixels(colour);
    for (let p = 0; p < 36; p++) {
      assert.ok(Math.abs(luma.pixels[p] - (0.299 * source[3 * p] + 0.587 * source[3 * p + 1] + 0.114 * source[3 * p + 2])) < 1e-3);
    }
  });

  it('flattens transparency onto black', async () => {
    const data = await openDataset(FOLDER);
    const { pixels } = await data.loadImage(sampleAt(data.samples, 'square/b.png'), { height: 8, width: 8, channels: 3 });
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const p = (y * 8 + x) * 3;
        assert.deepEqual(Array.from(pixels.subarray(p, p + 3)), x < 4 ? [255, 0, 0] : [0, 0, 0], `pixel ${y},${x}`);
      }
    }
  });

  it('resizes to the requested shape (stretching), keeping a uniform image uniform', async () => {
    const data = await openDataset(FOLDER);
    const index = sampleAt(data.samples, 'circle/a.png');
    const big = await data.loadImage(index, { height: 32, width: 20, channels: 3 });
    assert.equal(big.pixels.length, 32 * 20 * 3);
    assert.deepEqual([big.height, big.width, big.channels], [32, 20, 3]);
    // Blue is 100 everywhere in the source: resampling must keep it (lanczos overshoot only at edges of change).
    for (let p = 0; p < 32 * 20; p++) assert.equal(big.pixels[3 * p + 2], 100);
    // Red grows with x: the resized image must too, on average by column.
    const columnMean = (x: number): number => {
      let sum = 0;
      for (let y = 0; y < 32; y++) sum += big.pixels[(y * 20 + x) * 3];
      return sum / 32;
    };
    assert.ok(columnMean(0) < columnMean(10) && columnMean(10) < columnMean(19));
    const small = await data.loadImage(index, { height: 5, width: 6, channels: 1 });
    assert.equal(small.pixels.length, 30);
  });

  it('reports each image size and channel count from its header', async () => {
    const data = await openDataset(FOLDER);
    assert.deepEqual(await data.nativeShape(sampleAt(data.samples, 'circle/a.png')), { height: 10, width: 12, channels: 3 });
    assert.deepEqual(await data.nativeShape(sampleAt(data.samples, 'square/a.png')), { height: 8, width: 8, channels: 1 });
    assert.deepEqual(await data.nativeShape(sampleAt(data.samples, 'square/b.png')), { height: 8, width: 8, channels: 3 });
  });

  it('hands out copies: modifying loaded pixels does not change the next load (with the cache on)', async () => {
    const data = await openDataset(FOLDER, { cacheBytes: 1 << 20 });
    const first = await data.loadImage(0, { height: 10, width: 12, channels: 3 });
    const reference = Array.from(first.pixels);
    first.pixels.fill(7);
    const second = await data.loadImage(0, { height: 10, width: 12, channels: 3 });
    assert.deepEqual(Array.from(second.pixels), reference);
  });

  it('has a content hash that is stable, moves with the data, and changes with a byte or the selection', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const original = await openDataset(FOLDER);
      const hash = await original.contentHash();
      assert.match(hash, /^[0-9a-f]{64}$/);
      assert.equal(await (await openDataset(FOLDER)).contentHash(), hash, 'stable across opens');
      await cp(FOLDER, join(dir, 'copy'), { recursive: true });
      assert.equal(await (await openDataset(join(dir, 'copy'))).contentHash(), hash, 'a moved copy hashes the same');
      assert.notEqual(await (await openDataset(FOLDER, { classes: 'circle,square' })).contentHash(), hash, 'selection changes it');
      await writeFile(join(dir, 'copy', 'stripes', 'c.png'), await sharp({ create: { width: 6, height: 6, channels: 3, background: '#102030' } }).png().toBuffer());
      assert.notEqual(await (await openDataset(join(dir, 'copy'))).contentHash(), hash, 'changed pixels change it');
    } finally {
      await cleanup();
    }
  });

  it('filters classes by name and renumbers them, and limits per class', async () => {
    const data = await openDataset(`${FOLDER}?classes=stripes,circle&perClass=2`);
    assert.deepEqual(data.classNames, ['circle', 'stripes']);
    assert.deepEqual(data.classCounts, [2, 2]);
    assert.deepEqual(
      data.samples.map((s) => [s.label, s.sourceLabel, s.path?.slice(FOLDER.length + 1)]),
      [
        [0, 0, 'circle/a.png'],
        [0, 0, 'circle/b.jpg'],
        [1, 2, 'stripes/a.webp'],
        [1, 2, 'stripes/c.png'],
      ],
    );
  });

  it('orders classes by classes.txt when the folder has one', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await cp(FOLDER, join(dir, 'f'), { recursive: true });
      await writeFile(join(dir, 'f', 'classes.txt'), 'stripes\ncircle\nsquare\n');
      const data = await openDataset(join(dir, 'f'));
      assert.deepEqual(data.classNames, ['stripes', 'circle', 'square']);
      assert.equal(data.samples[0].path, join(dir, 'f', 'stripes', 'a.webp'));
      assert.equal(data.samples[0].label, 0);
    } finally {
      await cleanup();
    }
  });
});
