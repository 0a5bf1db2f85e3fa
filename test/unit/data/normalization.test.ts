import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { type Normalization, UNIT_RANGE, denormalize, normalizationProblem, normalizeInto } from '../../../src/engine/data/normalization';
import { estimateNormalization } from '../../../src/engine/data/normalization-stats';
import { openDataset } from '../../../src/engine/data/open-dataset';
import { FIXTURES, sampleSpec } from './helpers';

describe('normalisation', () => {
  it('computes (pixel * scale - mean[c]) / std[c] per channel and inverts it', () => {
    const norm: Normalization = { scale: 1 / 255, mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2] };
    const pixels = Float32Array.from([255, 0, 51, 0, 255, 255]);
    const out = new Float32Array(8).fill(-9);
    normalizeInto(pixels, 3, norm, out, 1);
    const expected = [(1 - 0.5) / 0.5, (0 - 0.25) / 0.25, 0.2 / 2, (0 - 0.5) / 0.5, (1 - 0.25) / 0.25, 1 / 2];
    assert.equal(out[0], -9);
    expected.forEach((v, i) => assert.ok(Math.abs(out[1 + i] - v) < 1e-6, `${out[1 + i]} vs ${v}`));
    assert.equal(out[7], -9);
    const back = denormalize(out.subarray(1, 7), 3, norm);
    back.forEach((v, i) => assert.ok(Math.abs(v - pixels[i]) < 1e-3));
  });

  it('broadcasts a single mean and std', () => {
    const out = new Float32Array(2);
    normalizeInto(Float32Array.from([255, 0]), 2, UNIT_RANGE, out);
    assert.deepEqual(Array.from(out), [1, 0]);
  });

  it('describes invalid normalisations', () => {
    assert.equal(normalizationProblem(UNIT_RANGE, 3), undefined);
    assert.match(normalizationProblem({ scale: 0, mean: [0], std: [1] }, 1) ?? '', /scale must be a positive number/);
    assert.match(normalizationProblem({ scale: 1, mean: [0, 0], std: [1] }, 3) ?? '', /mean must have 1 or 3 entries/);
    assert.match(normalizationProblem({ scale: 1, mean: [0], std: [0] }, 1) ?? '', /std must be positive/);
    assert.match(normalizationProblem({ scale: 1, mean: [Number.NaN], std: [1] }, 1) ?? '', /finite/);
    assert.throws(() => normalizeInto(new Float32Array(3), 3, { scale: 1, mean: [0, 0], std: [1] }, new Float32Array(3)), RangeError);
  });

  it('estimates per-channel mean and std from data, reproducibly', async () => {
    // Stripes images are 0 and 255 in equal halves: mean 0.5, std 0.5 in every channel.
    const stripes = await openDataset(join(FIXTURES, 'folder'), { classes: 'stripes', perClass: 1 });
    const norm = await estimateNormalization(stripes, { shape: { height: 6, width: 6, channels: 3 } });
    assert.equal(norm.scale, 1 / 255);
    norm.mean.forEach((m) => assert.ok(Math.abs(m - 0.5) < 1e-9));
    norm.std.forEach((s) => assert.ok(Math.abs(s - 0.5) < 1e-9));

    const fashion = await openDataset(sampleSpec('test'));
    const a = await estimateNormalization(fashion, { shape: { height: 28, width: 28, channels: 1 }, maxSamples: 300, seed: 1 });
    assert.deepEqual(await estimateNormalization(fashion, { shape: { height: 28, width: 28, channels: 1 }, maxSamples: 300, seed: 1 }), a);
    // Fashion-MNIST's published statistics: mean 0.2860, std 0.3530.
    assert.ok(Math.abs(a.mean[0] - 0.286) < 0.02, `mean ${a.mean[0]}`);
    assert.ok(Math.abs(a.std[0] - 0.353) < 0.02, `std ${a.std[0]}`);
  });
});
