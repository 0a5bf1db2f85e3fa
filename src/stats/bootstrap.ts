import { Random } from '../engine/util/random';
import { quantileOfSorted, sortedAscending } from './quantiles';
import { requireOpenUnitInterval, requirePositiveInteger } from './validate';

/**
 * Percentile bootstrap over items (e.g. test images) for a single model: resample the item indices with
 * replacement, recompute the statistic, and take the (1-level)/2 and (1+level)/2 quantiles (type 7) of
 * the resampled values. Seeded through `Random`, so the same seed gives the same interval.
 */

/**
 * A statistic over a multiset of item indices, e.g. accuracy over those test images. Returns `null` when
 * it is undefined for that resample (an ASR whose denominator is 0); NaN is rejected as a bug.
 * The `indices` array is reused between calls: read it, do not keep it.
 */
export type IndexStatistic = (indices: readonly number[]) => number | null;

export interface BootstrapOptions {
  /** Seed for the resampling stream. */
  seed: number;
  /** Number of bootstrap resamples (default 2000). */
  resamples?: number;
  /** Confidence level of the interval (default 0.95). */
  level?: number;
}

export interface BootstrapInterval {
  /** The statistic on the original items (indices 0..n-1 once each). */
  estimate: number;
  lo: number;
  hi: number;
  level: number;
  /** Resamples drawn. */
  resamples: number;
  /** Resamples on which the statistic was defined (non-null); the interval uses only these. */
  usedResamples: number;
}

/**
 * Percentile bootstrap interval of `statistic` over `itemCount` items. Returns `null` when the statistic
 * is undefined on the original items or on every resample; throws a `RangeError` for `itemCount` < 1 or
 * when the statistic returns a non-finite number.
 *
 * @example
 * const correct = [1, 0, 1, 1];  // per test image
 * bootstrapPercentileInterval(correct.length, (ix) => ix.reduce((s, i) => s + correct[i], 0) / ix.length, { seed: 7 });
 */
export function bootstrapPercentileInterval(
  itemCount: number,
  statistic: IndexStatistic,
  options: BootstrapOptions,
): BootstrapInterval | null {
  requirePositiveInteger(itemCount, 'itemCount');
  const resamples = options.resamples ?? 2000;
  requirePositiveInteger(resamples, 'resamples');
  const level = options.level ?? 0.95;
  requireOpenUnitInterval(level, 'confidence level');

  const indices = Array.from({ length: itemCount }, (_, i) => i);
  const estimate = checkedStatistic(statistic, indices);
  if (estimate === null) return null;

  const random = new Random(options.seed);
  const values: number[] = [];
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < itemCount; i++) indices[i] = random.int(itemCount);
    const value = checkedStatistic(statistic, indices);
    if (value !== null) values.push(value);
  }
  if (values.length === 0) return null;
  const sorted = sortedAscending(values);
  return {
    estimate,
    lo: quantileOfSorted(sorted, (1 - level) / 2),
    hi: quantileOfSorted(sorted, (1 + level) / 2),
    level,
    resamples,
    usedResamples: values.length,
  };
}

function checkedStatistic(statistic: IndexStatistic, indices: readonly number[]): number | null {
  const value = statistic(indices);
  if (value !== null && !Number.isFinite(value)) {
    throw new RangeError(`bootstrap statistic returned ${String(value)}; return null when it is undefined`);
  }
  return value;
}
