import { studentTQuantile } from './studentT';
import { requireFiniteSample, requireOpenUnitInterval } from './validate';

/**
 * Descriptive statistics over seeds: mean, sample standard deviation (n - 1), standard error (divided by
 * √n; two of the seed papers' codebases divide by n, which shrinks intervals as seeds are added) and the
 * Student-t confidence interval. Empty input or a non-finite value throws a `RangeError`; a single value
 * gives a mean but `null` spread and interval, never NaN.
 */

/** A metric over seeds as reported: mean ± std with a 95% t-interval. */
export interface Summary {
  /** Number of values (seeds). */
  n: number;
  mean: number;
  /** Sample standard deviation (divisor n - 1); `null` when n = 1. */
  std: number | null;
  /** std / √n; `null` when n = 1. */
  standardError: number | null;
  /** 95% Student-t interval mean ± t_{0.975, n-1} · std / √n; `null` when n = 1. Zero-width when std = 0. */
  ci95: [number, number] | null;
}

/**
 * Arithmetic mean, with one compensation pass so that e.g. three copies of 0.1 average to exactly 0.1
 * (a zero-variance metric must not show a spurious 1e-17 spread).
 */
export function mean(values: readonly number[]): number {
  requireFiniteSample(values, 1, 'values');
  let sum = 0;
  for (const value of values) sum += value;
  const rough = sum / values.length;
  let residual = 0;
  for (const value of values) residual += value - rough;
  return rough + residual / values.length;
}

/** Sample variance with divisor n - 1; `null` for a single value. */
export function sampleVariance(values: readonly number[]): number | null {
  const centre = mean(values);
  if (values.length < 2) return null;
  let sumSquares = 0;
  for (const value of values) sumSquares += (value - centre) ** 2;
  return sumSquares / (values.length - 1);
}

/** Sample standard deviation (divisor n - 1); `null` for a single value. */
export function sampleStandardDeviation(values: readonly number[]): number | null {
  const variance = sampleVariance(values);
  return variance === null ? null : Math.sqrt(variance);
}

/** Standard error of the mean, std / √n (not std / n); `null` for a single value. */
export function standardError(values: readonly number[]): number | null {
  const std = sampleStandardDeviation(values);
  return std === null ? null : std / Math.sqrt(values.length);
}

/**
 * Two-sided Student-t confidence interval for the mean at the given level (default 0.95):
 * mean ± t_{(1+level)/2, n-1} · std / √n. `null` when n = 1 (no spread to estimate).
 *
 * @example tInterval([1, 2, 3, 4, 5]) // ≈ [1.03676, 4.96324]: 3 ± 2.776445 · √0.5
 */
export function tInterval(values: readonly number[], level = 0.95): [number, number] | null {
  requireOpenUnitInterval(level, 'confidence level');
  const centre = mean(values);
  const se = standardError(values);
  if (se === null) return null;
  const halfWidth = studentTQuantile((1 + level) / 2, values.length - 1) * se;
  return [centre - halfWidth, centre + halfWidth];
}

/**
 * Mean, sample std, standard error and 95% t-interval of a metric over seeds.
 *
 * @example summarize([0.5, 0.7, 0.6]) // ≈ { n: 3, mean: 0.6, std: 0.1, standardError: 0.0577, ci95: [0.3516, 0.8484] }
 */
export function summarize(values: readonly number[]): Summary {
  const centre = mean(values);
  const std = sampleStandardDeviation(values);
  return {
    n: values.length,
    mean: centre,
    std,
    standardError: std === null ? null : std / Math.sqrt(values.length),
    ci95: tInterval(values, 0.95),
  };
}
