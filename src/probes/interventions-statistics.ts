import type { ChildVersusScratch, PairedTest, SummaryStats } from '../protocol/results';
import { summarize } from '../stats/descriptive';
import { comparePaired } from '../stats/pairedTests';

/**
 * Statistics over seeds in the shapes results.json uses, shared by the interventions, planted-bias and
 * group-disparity aggregations.
 */

/**
 * Mean, sample standard deviation and 95% t-interval (sqrt(n)) of a metric over seeds. With one value the
 * spread is unknown: std is reported as 0 and the interval as null (results.json's `SummaryStats.std` is a
 * number; `n` and the null interval tell the reader there was nothing to estimate it from).
 */
export function summaryStats(values: readonly number[]): SummaryStats {
  const s = summarize(values);
  return { n: s.n, mean: s.mean, std: s.std ?? 0, ci95: s.ci95 };
}

/**
 * A paired test of treatment against baseline (seed i with seed i): the paired t-test, or, when t is
 * undefined because every difference is equal, the exact Wilcoxon signed-rank test (p = 1 when all are 0).
 * null with fewer than 2 pairs.
 */
export function pairedTestOf(treatment: readonly number[], baseline: readonly number[]): PairedTest | null {
  if (treatment.length < 2) return null;
  const comparison = comparePaired(treatment, baseline);
  const t = comparison.tTest;
  if (t.t !== null && t.pValue !== null && t.degreesOfFreedom !== null) {
    return { test: 'paired-t', statistic: t.t, df: t.degreesOfFreedom, pValue: t.pValue, n: t.n };
  }
  const w = comparison.wilcoxon;
  return { test: 'wilcoxon-signed-rank', statistic: w.statistic, df: null, pValue: w.pValue, n: treatment.length };
}

/** A metric keyed by seed. */
export type BySeed = ReadonlyMap<number, number>;

/** Values of the seeds present in both maps, in ascending seed order. */
export function pairBySeed(left: BySeed, right: BySeed): { seeds: number[]; left: number[]; right: number[] } {
  const seeds = [...left.keys()].filter((s) => right.has(s)).sort((a, b) => a - b);
  return { seeds, left: seeds.map((s) => left.get(s) as number), right: seeds.map((s) => right.get(s) as number) };
}

/** Left minus right, paired by seed; null when no seed pairs up. */
export function pairedDifference(left: BySeed, right: BySeed): { difference: SummaryStats; pairedTest: PairedTest | null } | null {
  const paired = pairBySeed(left, right);
  if (paired.seeds.length === 0) return null;
  return { difference: summaryStats(paired.left.map((v, i) => v - paired.right[i])), pairedTest: pairedTestOf(paired.left, paired.right) };
}

/**
 * A child metric against the scratch baseline: each side over its seeds, and child minus scratch over the
 * seeds both have. null when the two share no seed (no paired difference to report).
 */
export function childVersusScratch(child: BySeed, scratch: BySeed): ChildVersusScratch | null {
  const paired = pairedDifference(child, scratch);
  if (paired === null) return null;
  return { child: summaryStats([...child.values()]), scratch: summaryStats([...scratch.values()]), ...paired };
}
