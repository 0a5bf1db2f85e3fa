import * as assert from 'node:assert/strict';
import { comparePaired, pairedDifferences, pairedTTest, wilcoxonSignedRank } from '../../../src/stats/pairedTests';

function assertClose(actual: number | null, expected: number, relative = 1e-10): void {
  assert.ok(actual !== null && Math.abs(actual - expected) <= relative * Math.abs(expected), `expected ${expected}, got ${actual}`);
}

// Child and scratch accuracy over five seeds.
const child = [0.82, 0.79, 0.91, 0.85, 0.88];
const scratch = [0.75, 0.8, 0.84, 0.79, 0.81];
// A classic paired example (Hollander & Wolfe) with nine pairs and no tied |d|.
const before = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
const after = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];

describe('stats/pairedTests', () => {
  it('paired t-test matches SciPy ttest_rel', () => {
    // scipy.stats.ttest_rel(child, scratch) = (statistic=3.3289588782552944, pvalue=0.02913392471529017, df=4)
    const result = pairedTTest(child, scratch);
    assert.equal(result.n, 5);
    assert.equal(result.degreesOfFreedom, 4);
    assertClose(result.meanDifference, 0.052);
    assertClose(result.t, 3.3289588782552944);
    assertClose(result.pValue, 0.02913392471529017);
  });

  it('paired t-test is undefined (null, not NaN) for one pair or constant differences', () => {
    const single = pairedTTest([0.9], [0.8]);
    assert.equal(single.t, null);
    assert.equal(single.pValue, null);
    assert.equal(single.degreesOfFreedom, null);
    const constant = pairedTTest([0.5, 0.6, 0.7], [0.4, 0.5, 0.6]);
    assert.equal(constant.t, null);
    assert.equal(constant.pValue, null);
    assertClose(constant.meanDifference, 0.1);
  });

  it('Wilcoxon exact matches SciPy without ties', () => {
    // scipy.stats.wilcoxon(before, after) = (statistic=5.0, pvalue=0.0390625), method 'exact'
    const result = wilcoxonSignedRank(before, after);
    assert.equal(result.method, 'exact');
    assert.equal(result.hasTies, false);
    assert.equal(result.rankSumPositive, 40);
    assert.equal(result.rankSumNegative, 5);
    assert.equal(result.statistic, 5);
    assertClose(result.pValue, 0.0390625);
  });

  it('Wilcoxon: every seed better gives the smallest exact p, 2 / 2^n', () => {
    const result = wilcoxonSignedRank([5, 6, 7, 8, 9], [1, 1, 1, 1, 1]);
    assert.equal(result.rankSumPositive, 15);
    assert.equal(result.pValue, 2 / 32);
  });

  it('Wilcoxon normal approximation matches SciPy (with and without continuity correction)', () => {
    // scipy.stats.wilcoxon(before, after, method='approx', correction=True).pvalue = 0.04401098401295143
    const normal = wilcoxonSignedRank(before, after, { method: 'normal' });
    assert.equal(normal.method, 'normal');
    assertClose(normal.pValue, 0.04401098401295143);
    // 60 differences (numpy.random.default_rng(0).normal(0.3, 1, 60), rounded to 2 places; has ties):
    // scipy.stats.wilcoxon(d, method='approx', correction=True)  = (517.0, 0.0034293622708307012)
    // scipy.stats.wilcoxon(d, method='approx', correction=False) = (517.0, 0.003388998994848434)
    const d = [
      0.43, 0.17, 0.94, 0.4, -0.24, 0.66, 1.6, 1.25, -0.4, -0.97, -0.32, 0.34, -2.03, 0.08, -0.95, -0.43, -0.24,
      -0.02, 0.71, 1.34, 0.17, 1.67, -0.37, 0.65, 1.2, 0.39, -0.44, -0.62, -0.16, 0.52, -0.71, 0.09, 0.14, 0.84,
      0.51, 0.66, -0.35, 0.17, 1.08, 1.79, -0.96, 1.81, 1.65, 1.08, 0.56, -0.01, 1.76, 2.26, 2.1, 1.62, 0.66,
      -0.91, 0.3, 0.96, -0.99, 0.7, 0.73, 1.0, -0.88, -0.36,
    ];
    const zeros = d.map(() => 0);
    const auto = wilcoxonSignedRank(d, zeros);
    assert.equal(auto.method, 'normal', 'n > 50 uses the normal approximation');
    assert.equal(auto.hasTies, true);
    assert.equal(auto.statistic, 517);
    assertClose(auto.pValue, 0.0034293622708307012);
    assertClose(wilcoxonSignedRank(d, zeros, { continuityCorrection: false }).pValue, 0.003388998994848434);
  });

  it('Wilcoxon exact with ties is the exact conditional (sign-flip) distribution', () => {
    // Brute force over all 2^7 sign assignments of the midranks [5, 1.5, 5, 3, 1.5, 7, 5] of |d| (Python
    // itertools.product): W+ = 26.5, two-sided p = 2·min(P(W+ <= 26.5), P(W+ >= 26.5)) = 0.046875.
    const d = [0.5, -0.2, 0.5, 0.3, 0.2, 0.9, 0.5];
    const result = wilcoxonSignedRank(d, d.map(() => 0));
    assert.equal(result.method, 'exact');
    assert.equal(result.hasTies, true);
    assert.equal(result.rankSumPositive, 26.5);
    assertClose(result.pValue, 0.046875);
  });

  it('Wilcoxon ties |d| that differ only by floating-point noise', () => {
    // 0.3 - 0.1 = 0.19999999999999998 and 0.5 - 0.3 = 0.2 are the same difference.
    const result = wilcoxonSignedRank([0.3, 0.5, 0.9], [0.1, 0.3, 0.2]);
    assert.equal(result.hasTies, true);
    assert.equal(result.rankSumPositive, 6);
  });

  it('Wilcoxon drops zero differences and gives p = 1 when all are zero', () => {
    const withZero = wilcoxonSignedRank([5, 6, 7, 8, 9, 1], [1, 1, 1, 1, 1, 1]);
    assert.equal(withZero.zeros, 1);
    assert.equal(withZero.n, 5);
    assert.equal(withZero.pValue, 2 / 32);
    const allZero = wilcoxonSignedRank([0.5, 0.5], [0.5, 0.5]);
    assert.deepEqual([allZero.n, allZero.zeros, allZero.pValue, allZero.statistic], [0, 2, 1, 0]);
  });

  it('comparePaired summarises child - scratch and runs both tests', () => {
    const comparison = comparePaired(child, scratch);
    assert.equal(comparison.differences.length, 5);
    assertClose(comparison.differences[0], 0.07);
    assertClose(comparison.difference.mean, 0.052);
    assert.ok(comparison.difference.ci95 && comparison.difference.ci95[0] > 0);
    assertClose(comparison.tTest.pValue, 0.02913392471529017);
    // |d| = [0.07, 0.01, 0.07, 0.06, 0.07]: W- = 1 (the single negative seed has the smallest |d|). Exact
    // conditional p: 4 of the 32 sign patterns have W+ <= 1 or W+ >= 14, so p = 0.125.
    assert.equal(comparison.wilcoxon.rankSumNegative, 1);
    assertClose(comparison.wilcoxon.pValue, 0.125);
  });

  it('rejects unequal lengths, empty input and NaN', () => {
    assert.throws(() => pairedDifferences([1, 2], [1]), /paired data must match/);
    assert.throws(() => pairedTTest([], []), RangeError);
    assert.throws(() => wilcoxonSignedRank([1, Number.NaN], [1, 2]), RangeError);
  });
});
