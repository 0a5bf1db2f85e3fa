import { requireFinite, requireFiniteSample } from './validate';

/**
 * Sample quantiles by linear interpolation between order statistics (Hyndman & Fan type 7, the default
 * of NumPy and R): position h = (n - 1)·p in the sorted values, 0-based.
 */

/** Values sorted ascending, as a new array (the input is left alone). */
export function sortedAscending(values: readonly number[]): number[] {
  return Array.from(values).sort((a, b) => a - b);
}

/** The p-quantile (0 <= p <= 1) of values already sorted ascending; see {@link quantile}. */
export function quantileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of an empty sample');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile probability must be in [0, 1], got ${String(p)}`);
  const position = (sorted.length - 1) * p;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const fraction = position - below;
  return fraction === 0 ? sorted[below] : sorted[below] + fraction * (sorted[above] - sorted[below]);
}

/**
 * The p-quantile (type 7) of the values; throws a `RangeError` for an empty sample or p outside [0, 1].
 *
 * @example quantile([1, 2, 3, 4], 0.25) // 1.75
 */
export function quantile(values: readonly number[], p: number): number {
  requireFiniteSample(values, 1, 'values');
  return quantileOfSorted(sortedAscending(values), p);
}

/** Several quantiles (type 7) of the same values, sorting once. */
export function quantiles(values: readonly number[], probabilities: readonly number[]): number[] {
  requireFiniteSample(values, 1, 'values');
  requireFinite(probabilities, 'probabilities');
  const sorted = sortedAscending(values);
  return probabilities.map((p) => quantileOfSorted(sorted, p));
}

/** The median (the 0.5 quantile: the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}
