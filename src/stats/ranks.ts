import { requireFinite } from './validate';

/**
 * Ranks with ties averaged ("midranks", SciPy's `rankdata(method='average')`), the basis of the
 * Spearman correlation and the rank tests, plus the tie-group sizes their variance corrections need.
 */

/** Which null distribution a rank test used: its exact (permutation) distribution or the normal approximation. */
export type RankTestMethod = 'exact' | 'normal';

/** Ranks of the values and the sizes of their groups of equal values. */
export interface RankedValues {
  /** 1-based ranks in input order; tied values share the mean of the ranks they span. */
  ranks: number[];
  /** The size of every group of two or more equal values (empty when there are no ties). */
  tieGroupSizes: number[];
}

/** Ranks (1-based, ties averaged) together with the tie-group sizes. */
export function rankWithTies(values: readonly number[]): RankedValues {
  requireFinite(values, 'values');
  const order = values.map((_, index) => index).sort((i, j) => values[i] - values[j]);
  const ranks = new Array<number>(values.length);
  const tieGroupSizes: number[] = [];
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    // Positions start..end-1 (0-based) hold equal values; they share the mean of ranks start+1..end.
    const sharedRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]] = sharedRank;
    if (end - start > 1) tieGroupSizes.push(end - start);
    start = end;
  }
  return { ranks, tieGroupSizes };
}

/**
 * 1-based ranks with ties averaged.
 *
 * @example averageRanks([10, 20, 20, 5]) // [2, 3.5, 3.5, 1]
 */
export function averageRanks(values: readonly number[]): number[] {
  return rankWithTies(values).ranks;
}

/** Σ (t³ - t) over tie groups: the tie correction term of the rank-test variances. */
export function tieCorrectionSum(tieGroupSizes: readonly number[]): number {
  let total = 0;
  for (const size of tieGroupSizes) total += size * size * size - size;
  return total;
}
