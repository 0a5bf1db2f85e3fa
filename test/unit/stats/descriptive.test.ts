import * as assert from 'node:assert/strict';
import {
  mean,
  sampleStandardDeviation,
  sampleVariance,
  standardError,
  summarize,
  tInterval,
} from '../../../src/stats/descriptive';

function assertClose(actual: number, expected: number, tolerance = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);
}

describe('stats/descriptive', () => {
  it('mean, sample variance (n - 1) and std', () => {
    assert.equal(mean([1, 2, 3, 4, 5]), 3);
    assert.equal(sampleVariance([1, 2, 3, 4, 5]), 2.5);
    assertClose(sampleStandardDeviation([2, 4, 4, 4, 5, 5, 7, 9]) ?? NaN, Math.sqrt(32 / 7));
  });

  it('standard error divides the std by √n, not by n', () => {
    const values = [2, 4, 4, 4, 5, 5, 7, 9];
    const std = Math.sqrt(32 / 7);
    assertClose(standardError(values) ?? NaN, std / Math.sqrt(8));
    assert.notEqual(standardError(values), std / 8);
  });

  it('t-interval matches a hand computation', () => {
    // [1..5]: mean 3, std √2.5, se √0.5, t_{0.975,4} = 2.7764451051977934 (mpmath).
    const halfWidth = 2.7764451051977934 * Math.sqrt(0.5);
    const interval = tInterval([1, 2, 3, 4, 5]);
    assert.ok(interval);
    assertClose(interval[0], 3 - halfWidth);
    assertClose(interval[1], 3 + halfWidth);
    // scipy.stats.t.interval(0.95, 4, loc=3, scale=scipy.stats.sem([1,2,3,4,5])) = (1.036756838522439, 4.9632431614775605)
    assertClose(interval[0], 1.036756838522439, 1e-9);
    assertClose(interval[1], 4.9632431614775605, 1e-9);
    // 90% interval: t_{0.95,4} = 2.131846786326649.
    const ninety = tInterval([1, 2, 3, 4, 5], 0.9);
    assert.ok(ninety);
    assertClose(ninety[1], 3 + 2.131846786326649 * Math.sqrt(0.5), 1e-9);
  });

  it('summarize gives n, mean, std, standard error and the 95% t-interval', () => {
    const summary = summarize([0.5, 0.7, 0.6]);
    assert.equal(summary.n, 3);
    assertClose(summary.mean, 0.6);
    assertClose(summary.std ?? NaN, 0.1);
    assertClose(summary.standardError ?? NaN, 0.1 / Math.sqrt(3));
    // t_{0.975,2} = 4.302652729749462: 0.6 ± 4.30265… · 0.1 / √3
    assert.ok(summary.ci95);
    assertClose(summary.ci95[0], 0.6 - (4.302652729749462 * 0.1) / Math.sqrt(3));
    assertClose(summary.ci95[1], 0.6 + (4.302652729749462 * 0.1) / Math.sqrt(3));
  });

  it('n = 1 gives a mean and null spread and interval, never NaN', () => {
    assert.deepEqual(summarize([0.42]), { n: 1, mean: 0.42, std: null, standardError: null, ci95: null });
    assert.equal(tInterval([3]), null);
    assert.equal(sampleVariance([3]), null);
  });

  it('zero variance gives std 0 and a zero-width interval at the mean', () => {
    const summary = summarize([0.1, 0.1, 0.1]);
    assert.equal(summary.mean, 0.1);
    assert.equal(summary.std, 0);
    assert.deepEqual(summary.ci95, [0.1, 0.1]);
  });

  it('empty input and non-finite values throw a RangeError', () => {
    assert.throws(() => mean([]), RangeError);
    assert.throws(() => summarize([]), RangeError);
    assert.throws(() => summarize([1, Number.NaN]), /values\[1\] is NaN/);
    assert.throws(() => summarize([Infinity]), RangeError);
    assert.throws(() => tInterval([1, 2], 1), RangeError);
  });
});
