import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { AuditError } from '../../../../src/engine/util/errors';
import { loadTrigger } from '../../../../src/probes/triggers/trigger';

const filled = (h: number, w: number, c: number, v: number): Float32Array => new Float32Array(h * w * c).fill(v);
const at = (pixels: Float32Array, w: number, c: number, y: number, x: number, ch = 0): number => pixels[(y * w + x) * c + ch];

describe('trigger rendering', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'triggers-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('draws a square pixel-exactly at a known position (RGB)', async () => {
    const t = await loadTrigger('square:size=0.25,color=#ff8000,position=bottom-right');
    const px = filled(8, 8, 3, 10);
    t.apply(px, 8, 8, 3, 0);
    // side round(0.25 * 8) = 2: rows 6-7, columns 6-7.
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const inside = y >= 6 && x >= 6;
        assert.deepEqual([at(px, 8, 3, y, x, 0), at(px, 8, 3, y, x, 1), at(px, 8, 3, y, x, 2)], inside ? [255, 128, 0] : [10, 10, 10], `pixel ${y},${x}`);
      }
    }
  });

  it('draws the paper square as 7x7 of 28x28 top-left, in luma on grayscale, blended by opacity', async () => {
    const t = await loadTrigger('square:color=yellow,opacity=0.5');
    const px = filled(28, 28, 1, 100);
    t.apply(px, 28, 28, 1, 3);
    const luma = 0.299 * 255 + 0.587 * 255;
    let changed = 0;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const v = at(px, 28, 1, y, x);
        if (y < 7 && x < 7) {
          assert.ok(Math.abs(v - (0.5 * 100 + 0.5 * luma)) < 1e-3, `blend at ${y},${x}: ${v}`);
          changed++;
        } else assert.equal(v, 100);
      }
    }
    assert.equal(changed, 49);
  });

  it('places a random square deterministically per seed and sample, differently across samples and seeds', async () => {
    const a = await loadTrigger('square:size=0.25,position=random,seed=7');
    const b = await loadTrigger('square:size=0.25,position=random,seed=8');
    const boxes = Array.from({ length: 20 }, (_, i) => a.box(32, 32, i));
    assert.deepEqual(boxes, Array.from({ length: 20 }, (_, i) => a.box(32, 32, i)), 'same seed and sample, same place');
    assert.ok(new Set(boxes.map((box) => `${box.x},${box.y}`)).size > 10, 'places vary across samples');
    assert.ok(boxes.some((box, i) => JSON.stringify(box) !== JSON.stringify(b.box(32, 32, i))), 'another seed moves it');
    for (const box of boxes) assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= 32 && box.y + box.height <= 32);
    // The rendered pixels follow the box.
    const px = filled(32, 32, 1, 0);
    a.apply(px, 32, 32, 1, 5);
    const box = a.box(32, 32, 5);
    assert.equal(at(px, 32, 1, box.y, box.x), Math.fround(0.299 * 255 + 0.587 * 255));
    assert.equal(px.reduce((n, v) => n + (v > 0 ? 1 : 0), 0), 64);
  });

  it('draws a circle inside its box, with the box corners untouched', async () => {
    const t = await loadTrigger('circle:size=0.5,color=white,position=center');
    const px = filled(20, 20, 1, 0);
    t.apply(px, 20, 20, 1, 0);
    // box 10x10 at (5,5): centre pixel set, corners of the box not.
    assert.equal(at(px, 20, 1, 10, 10), 255);
    assert.equal(at(px, 20, 1, 5, 5), 0);
    assert.equal(at(px, 20, 1, 14, 14), 0);
    const covered = px.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
    assert.ok(covered > 60 && covered < 90, `a disc of radius 5 covers ~78 pixels, got ${covered}`);
  });

  it('draws a chain-link mesh of diagonal wires and a seeded gaussian pattern', async () => {
    const mesh = await loadTrigger('chain-link:cells=4,color=white');
    const px = filled(16, 16, 1, 0);
    mesh.apply(px, 16, 16, 1, 0);
    const covered = px.reduce((n, v) => n + (v > 0 ? 1 : 0), 0);
    // Period 4, 1-pixel wires: u + v = 0 mod 4 or u - v = 0 mod 4, 64 + 64 - 32 crossings of 256 pixels.
    assert.equal(covered, 96);
    assert.equal(at(px, 16, 1, 1, 1), 255, 'down-right wire');
    assert.equal(at(px, 16, 1, 3, 1), 255, 'down-left wire');
    assert.equal(at(px, 16, 1, 3, 0), 0, 'a hole of the mesh');

    const noise = await loadTrigger('gaussian:sigma=0.1,seed=3');
    const g1 = filled(8, 8, 3, 128);
    const g2 = filled(8, 8, 3, 128);
    noise.apply(g1, 8, 8, 3, 0);
    noise.apply(g2, 8, 8, 3, 99);
    assert.deepEqual(g1, g2, 'a fixed pattern, the same on every image');
    const deltas = Array.from(g1, (v) => v - 128);
    const std = Math.sqrt(deltas.reduce((s, d) => s + d * d, 0) / deltas.length);
    assert.ok(std > 15 && std < 36, `noise std ~25.5, got ${std}`);
    const other = filled(8, 8, 3, 128);
    (await loadTrigger('gaussian:sigma=0.1,seed=4')).apply(other, 8, 8, 3, 0);
    assert.notDeepEqual(other, g1, 'another seed, another pattern');
  });

  it('alpha-blends a PNG patch: opaque, half-transparent and transparent pixels', async () => {
    // 2x2 RGBA: red opaque, green at alpha 128, blue transparent, white opaque.
    const rgba = Buffer.from([255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 255, 255, 255, 255]);
    const file = join(dir, 'patch.png');
    await writeFile(file, await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } }).png().toBuffer());
    // size 0.25 of 8 px = 2 px: the patch is used at its own size, no resampling.
    const t = await loadTrigger('patch:file=patch.png,size=0.25,position=top-left', { baseDir: dir });
    const px = filled(8, 8, 3, 100);
    t.apply(px, 8, 8, 3, 0);
    const a = 128 / 255;
    const rgb = (y: number, x: number): number[] => [0, 1, 2].map((c) => at(px, 8, 3, y, x, c));
    assert.deepEqual(rgb(0, 0), [255, 0, 0]);
    rgb(0, 1).forEach((v, c) => assert.ok(Math.abs(v - ((1 - a) * 100 + a * [0, 255, 0][c])) < 1e-3, `half-transparent green channel ${c}: ${v}`));
    assert.deepEqual(rgb(1, 0), [100, 100, 100]);
    assert.deepEqual(rgb(1, 1), [255, 255, 255]);
    assert.deepEqual(rgb(2, 2), [100, 100, 100]);
    // Grayscale: the patch's luma, same alpha.
    const gray = filled(8, 8, 1, 100);
    t.apply(gray, 8, 8, 1, 0);
    assert.ok(Math.abs(at(gray, 8, 1, 0, 0) - 0.299 * 255) < 1e-3);
    assert.equal(at(gray, 8, 1, 1, 0), 100);
  });

  it('keys the cache by the patch content, not its path', async () => {
    const png = await sharp({ create: { width: 3, height: 3, channels: 4, background: { r: 9, g: 9, b: 9, alpha: 1 } } }).png().toBuffer();
    await writeFile(join(dir, 'a.png'), png);
    await writeFile(join(dir, 'b.png'), png);
    const a = await loadTrigger('patch:file=a.png', { baseDir: dir });
    const b = await loadTrigger('patch:file=b.png', { baseDir: dir });
    assert.equal(a.transformId, b.transformId);
    assert.notEqual(a.transformId, (await loadTrigger('square')).transformId);
  });

  it('fails clearly for a patch that does not decode or does not exist', async () => {
    await writeFile(join(dir, 'broken.png'), 'not a png at all');
    await assert.rejects(loadTrigger('patch:file=broken.png', { baseDir: dir }), (e: unknown) => {
      assert.ok(e instanceof AuditError);
      assert.equal(e.file, join(dir, 'broken.png'));
      assert.match(e.message, /does not decode/);
      return true;
    });
    await assert.rejects(loadTrigger('patch:file=missing.png', { baseDir: dir }), (e: unknown) => e instanceof AuditError && e.code === 'ENOENT' && /missing\.png: trigger patch not found/.test(e.message));
  });
});
