import { Random } from '../util/random';
import type { Dataset } from './dataset';
import type { ImageShape } from './decode';
import { mapLimit } from './map-limit';
import type { Normalization } from './normalization';

/**
 * Estimates a per-channel normalisation from a dataset (for pretraining a model on it): mean and std of
 * `pixel * scale` over up to `maxSamples` images chosen with `seed` (all when there are fewer).
 * The result is what the model records; inputs then have roughly zero mean and unit variance per channel.
 */
export async function estimateNormalization(
  dataset: Dataset,
  options: { shape: ImageShape; scale?: number; maxSamples?: number; seed?: number; indices?: readonly number[] },
): Promise<Normalization> {
  const scale = options.scale ?? 1 / 255;
  const pool = options.indices !== undefined ? [...options.indices] : dataset.samples.map((s) => s.index);
  const maxSamples = options.maxSamples ?? 2000;
  const chosen = pool.length > maxSamples ? new Random(options.seed ?? 0).shuffle(pool).slice(0, maxSamples) : pool;
  if (chosen.length === 0) throw new RangeError('estimateNormalization: no samples to estimate from');
  const { channels } = options.shape;
  // Per-image sums added in a fixed order afterwards, so the result does not depend on decoding order.
  const perImage = await mapLimit(chosen, 8, async (index) => {
    const { pixels } = await dataset.loadImage(index, options.shape);
    const sums = new Float64Array(2 * channels);
    for (let i = 0; i < pixels.length; i++) {
      const v = pixels[i] * scale;
      sums[i % channels] += v;
      sums[channels + (i % channels)] += v * v;
    }
    return { sums, count: pixels.length / channels };
  });
  const sum = new Float64Array(channels);
  const sumSquares = new Float64Array(channels);
  let perChannel = 0;
  for (const { sums, count } of perImage) {
    for (let c = 0; c < channels; c++) {
      sum[c] += sums[c];
      sumSquares[c] += sums[channels + c];
    }
    perChannel += count;
  }
  const mean = Array.from(sum, (s) => s / perChannel);
  const std = Array.from(sumSquares, (s, c) => {
    const variance = s / perChannel - mean[c] * mean[c];
    // A constant channel would divide by zero; leave it unscaled instead.
    return variance > 1e-12 ? Math.sqrt(variance) : 1;
  });
  return { scale, mean, std };
}
