import { summarize, type Summary } from './descriptive';
import { continuityCorrectedZ, normalTwoSidedP } from './normal';
import { rankWithTies, tieCorrectionSum, type RankTestMethod } from './ranks';
import { signedRankNullDistribution, twoSidedTailProbability } from './signedRankDistribution';
import { studentTTwoSidedP } from './studentT';
import { requireFiniteSample, requireSameLength } from './validate';

/**
 * Paired tests for a child-versus-scratch difference over seeds: seed i of the child is paired with seed i
 * of the scratch baseline, and the differences d_i = treatment_i - baseline_i are tested against 0.
 */

export interface PairedTTestResult {
  /** Number of pairs. */
  n: number;
  /** Mean of treatment - baseline. */
  meanDifference: number;
  /** std(d) / √n; `null` when n < 2. */
  standardError: number | null;
  /** mean(d) / standardError; `null` when n < 2 or the differences have zero variance (t undefined). */
  t: number | null;
  /** n - 1; `null` when n < 2. */
  degreesOfFreedom: number | null;
  /** Two-sided p-value; `null` exactly when `t` is. */
  pValue: number | null;
}

/**
 * Paired t-test of treatment against baseline (two-sided), as SciPy's `ttest_rel`. With one pair or with
 * differences that are all equal, the t statistic is undefined and `t`/`pValue` are `null` (the Wilcoxon
 * test still answers for constant non-zero differences).
 */
export function pairedTTest(treatment: readonly number[], baseline: readonly number[]): PairedTTestResult {
  const differences = pairedDifferences(treatment, baseline);
  const summary = summarize(differences);
  const n = differences.length;
  if (summary.standardError === null || summary.standardError === 0) {
    return {
      n,
      meanDifference: summary.mean,
      standardError: summary.standardError,
      t: null,
      degreesOfFreedom: n >= 2 ? n - 1 : null,
      pValue: null,
    };
  }
  const t = summary.mean / summary.standardError;
  return {
    n,
    meanDifference: summary.mean,
    standardError: summary.standardError,
    t,
    degreesOfFreedom: n - 1,
    pValue: studentTTwoSidedP(t, n - 1),
  };
}

export interface WilcoxonOptions {
  /**
   * `exact`: the permutation distribution of W+ over random signs, conditional on the observed ranks
   * (exact also under ties). `normal`: the normal approximation with tie correction. `auto` (default):
   * exact when at most 50 non-zero differences remain, normal otherwise.
   */
  method?: 'auto' | 'exact' | 'normal';
  /** Continuity correction of 1/2 in the normal approximation (default true). */
  continuityCorrection?: boolean;
}

export interface WilcoxonResult {
  /** Non-zero differences used (zeros are dropped: Wilcoxon's zero method). */
  n: number;
  /** Zero differences dropped. */
  zeros: number;
  /** Sum of the ranks of |d| for positive differences (W+). */
  rankSumPositive: number;
  /** Sum of the ranks of |d| for negative differences (W-). */
  rankSumNegative: number;
  /** min(W+, W-), the two-sided statistic SciPy's `wilcoxon` reports. */
  statistic: number;
  /** Two-sided p-value. 1 when every difference is zero (no evidence of a difference). */
  pValue: number;
  method: RankTestMethod;
  /** Whether some non-zero |d| were tied (midranks used). */
  hasTies: boolean;
  /** The z statistic of the normal approximation (signed like W+ - E[W+]); `null` for the exact method. */
  z: number | null;
}

/**
 * Wilcoxon signed-rank test of treatment against baseline (two-sided). Zero differences are dropped
 * (SciPy's `zero_method='wilcox'`); tied |d| get midranks (|d| compared at 12 significant digits). The exact method matches SciPy's exact table
 * without ties; with ties it is the exact conditional (permutation) distribution, where SciPy would fall
 * back to the normal approximation. Note that with n pairs the smallest possible exact p is 2 / 2^n
 * (0.0625 for 5 seeds): few seeds cannot give a small p-value, whatever the effect.
 */
export function wilcoxonSignedRank(
  treatment: readonly number[],
  baseline: readonly number[],
  options: WilcoxonOptions = {},
): WilcoxonResult {
  const differences = pairedDifferences(treatment, baseline);
  const nonZero = differences.filter((d) => d !== 0);
  const zeros = differences.length - nonZero.length;
  const n = nonZero.length;
  if (n === 0) {
    return { n, zeros, rankSumPositive: 0, rankSumNegative: 0, statistic: 0, pValue: 1, method: 'exact', hasTies: false, z: null };
  }
  // Rank |d| rounded to 12 significant digits: 0.3 - 0.1 and 0.5 - 0.3 differ only by rounding noise
  // and must tie, or the ranks (and the exact p) would depend on floating-point accidents.
  const { ranks, tieGroupSizes } = rankWithTies(nonZero.map((d) => Number(Math.abs(d).toPrecision(12))));
  let rankSumPositive = 0;
  let rankSumNegative = 0;
  for (let i = 0; i < n; i++) {
    if (nonZero[i] > 0) rankSumPositive += ranks[i];
    else rankSumNegative += ranks[i];
  }
  const requested = options.method ?? 'auto';
  const method: RankTestMethod = requested === 'auto' ? (n <= 50 ? 'exact' : 'normal') : requested;
  const common = {
    n,
    zeros,
    rankSumPositive,
    rankSumNegative,
    statistic: Math.min(rankSumPositive, rankSumNegative),
    hasTies: tieGroupSizes.length > 0,
  };
  if (method === 'exact') {
    const distribution = signedRankNullDistribution(ranks.map((rank) => Math.round(2 * rank)));
    const pValue = twoSidedTailProbability(distribution, Math.round(2 * rankSumPositive));
    return { ...common, pValue, method, z: null };
  }
  const expected = (n * (n + 1)) / 4;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieCorrectionSum(tieGroupSizes) / 48;
  const z = continuityCorrectedZ(rankSumPositive - expected, Math.sqrt(variance), options.continuityCorrection ?? true);
  return { ...common, pValue: normalTwoSidedP(z), method, z };
}

/** A child-versus-scratch difference over seeds: its summary and both paired tests. */
export interface PairedComparison {
  /** treatment_i - baseline_i, in seed order. */
  differences: number[];
  /** Mean ± std and 95% t-interval of the differences. */
  difference: Summary;
  tTest: PairedTTestResult;
  wilcoxon: WilcoxonResult;
}

/**
 * Summary of treatment - baseline over paired seeds with a paired t-test and a Wilcoxon signed-rank test.
 * Throws a `RangeError` for no pairs, unequal lengths or non-finite values.
 *
 * @example comparePaired(childAsrBySeed, scratchAsrBySeed).difference.ci95
 */
export function comparePaired(
  treatment: readonly number[],
  baseline: readonly number[],
  options: WilcoxonOptions = {},
): PairedComparison {
  const differences = pairedDifferences(treatment, baseline);
  return {
    differences,
    difference: summarize(differences),
    tTest: pairedTTest(treatment, baseline),
    wilcoxon: wilcoxonSignedRank(treatment, baseline, options),
  };
}

/** treatment_i - baseline_i after checking both are the same length, non-empty and finite. */
export function pairedDifferences(treatment: readonly number[], baseline: readonly number[]): number[] {
  requireSameLength(treatment, baseline, 'treatment', 'baseline');
  requireFiniteSample(treatment, 1, 'treatment');
  requireFiniteSample(baseline, 1, 'baseline');
  return treatment.map((value, i) => value - baseline[i]);
}
