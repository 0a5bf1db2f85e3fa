import { continuityCorrectedZ, normalTwoSidedP } from './normal';
import { rankWithTies, tieCorrectionSum, type RankTestMethod } from './ranks';
import { requireFiniteSample } from './validate';

/**
 * Mann-Whitney U test (Wilcoxon rank-sum) for two independent samples, e.g. the training counts of the
 * classes whose stimuli transfer consistently versus the rest.
 */

export interface MannWhitneyOptions {
  /**
   * `auto` (default, SciPy's rule): exact when there are no ties and the smaller sample has at most 8
   * values (and the other is small enough to enumerate quickly: about 600 values), normal approximation
   * otherwise. `exact`: the exact permutation distribution of the rank sum,
   * conditional on the midranks when there are ties. `normal`: normal approximation with tie correction.
   */
  method?: 'auto' | 'exact' | 'normal';
  /** Continuity correction of 1/2 in the normal approximation (default true, as SciPy). */
  continuityCorrection?: boolean;
}

export interface MannWhitneyResult {
  nX: number;
  nY: number;
  /** U for x: the number of pairs (x_i, y_j) with x_i > y_j, ties counting 1/2 (SciPy's statistic). */
  uX: number;
  /** U for y = nX·nY - uX. */
  uY: number;
  /** Two-sided p-value. 1 when every value is tied (no ordering to test). */
  pValue: number;
  method: RankTestMethod;
  hasTies: boolean;
  /** z of the normal approximation (sign: x larger is positive); `null` for the exact method. */
  z: number | null;
  /**
   * Rank-biserial correlation (uX - uY) / (nX·nY) = 2·uX/(nX·nY) - 1, in [-1, 1]: +1 when every x exceeds
   * every y, -1 when every x is below every y, 0 for no tendency.
   */
  rankBiserial: number;
}

/** Above this many DP cell updates the exact distribution is too slow; `auto` then uses the normal one. */
const MAX_EXACT_WORK = 5e7;

/**
 * Two-sided Mann-Whitney U test of x against y with the rank-biserial effect size. Throws a `RangeError`
 * for an empty sample, a non-finite value, or `method: 'exact'` on samples too large to enumerate.
 *
 * @example mannWhitneyU([1, 2, 3], [4, 5, 6]) // uX 0, pValue 0.1 (exact), rankBiserial -1
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[], options: MannWhitneyOptions = {}): MannWhitneyResult {
  requireFiniteSample(x, 1, 'x');
  requireFiniteSample(y, 1, 'y');
  const nX = x.length;
  const nY = y.length;
  const total = nX + nY;
  const { ranks, tieGroupSizes } = rankWithTies([...x, ...y]);
  let rankSumX = 0;
  for (let i = 0; i < nX; i++) rankSumX += ranks[i];
  const uX = rankSumX - (nX * (nX + 1)) / 2;
  const uY = nX * nY - uX;
  const hasTies = tieGroupSizes.length > 0;
  const rankBiserial = (uX - uY) / (nX * nY);
  const common = { nX, nY, uX, uY, hasTies, rankBiserial };

  if (tieGroupSizes.length === 1 && tieGroupSizes[0] === total) {
    // Every value equal: every relabelling gives the same U, so the data carry no evidence either way.
    return { ...common, pValue: 1, method: 'exact', z: null };
  }

  const smaller = Math.min(nX, nY);
  const exactWork = total * smaller * (2 * smaller * total);
  const requested = options.method ?? 'auto';
  let method: RankTestMethod;
  if (requested === 'auto') method = !hasTies && smaller <= 8 && exactWork <= MAX_EXACT_WORK ? 'exact' : 'normal';
  else method = requested;

  if (method === 'exact') {
    if (exactWork > MAX_EXACT_WORK) {
      throw new RangeError(`exact Mann-Whitney distribution for ${nX} + ${nY} values is too large; use method 'normal'`);
    }
    const doubledRanks = ranks.map((rank) => Math.round(2 * rank));
    // Work with whichever sample is smaller; its rank sum carries the same information as U.
    const smallerIsX = nX <= nY;
    const observed = (smallerIsX ? doubledRanks.slice(0, nX) : doubledRanks.slice(nX)).reduce((s, r) => s + r, 0);
    const pValue = exactRankSumTwoSidedP(doubledRanks, smaller, observed);
    return { ...common, pValue, method, z: null };
  }

  const expected = (nX * nY) / 2;
  const variance = ((nX * nY) / 12) * (total + 1 - tieCorrectionSum(tieGroupSizes) / (total * (total - 1)));
  const z = continuityCorrectedZ(uX - expected, Math.sqrt(variance), options.continuityCorrection ?? true);
  return { ...common, pValue: normalTwoSidedP(z), method, z };
}

/**
 * Exact two-sided p of a rank sum: counts, over all ways to choose `groupSize` of the doubled ranks, how
 * many sums fall at or below and at or above `observed`; p = 2 · min(lower, upper) / C(N, groupSize).
 * Counts are kept as doubles: they only ever add, so the relative error stays near machine precision.
 */
function exactRankSumTwoSidedP(doubledRanks: readonly number[], groupSize: number, observed: number): number {
  const sorted = [...doubledRanks].sort((a, b) => b - a);
  let maxSum = 0;
  for (let i = 0; i < groupSize; i++) maxSum += sorted[i];
  // ways[k][s]: number of k-subsets of the ranks seen so far whose doubled sum is s.
  const ways: Float64Array[] = Array.from({ length: groupSize + 1 }, () => new Float64Array(maxSum + 1));
  ways[0][0] = 1;
  let seen = 0;
  for (const rank of doubledRanks) {
    seen++;
    for (let k = Math.min(seen, groupSize); k >= 1; k--) {
      const into = ways[k];
      const from = ways[k - 1];
      for (let s = maxSum; s >= rank; s--) into[s] += from[s - rank];
    }
  }
  let lower = 0;
  let upper = 0;
  let all = 0;
  const counts = ways[groupSize];
  for (let s = 0; s <= maxSum; s++) {
    all += counts[s];
    if (s <= observed) lower += counts[s];
    if (s >= observed) upper += counts[s];
  }
  return Math.min(1, (2 * Math.min(lower, upper)) / all);
}
