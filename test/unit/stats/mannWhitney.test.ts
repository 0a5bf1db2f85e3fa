import * as assert from 'node:assert/strict';
import { mannWhitneyU } from '../../../src/stats/mannWhitney';

function assertClose(actual: number, expected: number, relative = 1e-10): void {
  assert.ok(Math.abs(actual - expected) <= relative * Math.abs(expected), `expected ${expected}, got ${actual}`);
}

describe('stats/mannWhitney', () => {
  it('complete separation of 3 and 3: U = 0, exact p = 2 / C(6, 3) = 0.1, rank-biserial -1', () => {
    // scipy.stats.mannwhitneyu([1,2,3], [4,5,6]) = (statistic=0.0, pvalue=0.1)
    const result = mannWhitneyU([1, 2, 3], [4, 5, 6]);
    assert.equal(result.uX, 0);
    assert.equal(result.uY, 9);
    assert.equal(result.method, 'exact');
    assertClose(result.pValue, 0.1);
    assert.equal(result.rankBiserial, -1);
    assert.equal(mannWhitneyU([4, 5, 6], [1, 2, 3]).rankBiserial, 1);
  });

  it('textbook example: U counted by hand and the exact p match SciPy', () => {
    // x = [19, 22, 16, 29, 24], y = [20, 11, 17, 12]: pairs with x > y: 19→3, 22→4, 16→2, 29→4, 24→4 = 17.
    // scipy.stats.mannwhitneyu(x, y) = (statistic=17.0, pvalue=0.1111111111111111), method exact.
    const result = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12]);
    assert.equal(result.uX, 17);
    assert.equal(result.uY, 3);
    assert.equal(result.method, 'exact');
    assertClose(result.pValue, 0.1111111111111111);
    assertClose(result.rankBiserial, 0.7);
  });

  it('exact for unequal sizes (3 versus 10) matches SciPy', () => {
    // scipy.stats.mannwhitneyu([3.1,4.2,1.5], [2.2,5.5,...,13.1], method='exact') = (2.0, 0.027972027972027972)
    const result = mannWhitneyU([3.1, 4.2, 1.5], [2.2, 5.5, 6.1, 7.3, 8.8, 9.9, 10.2, 11.4, 12.6, 13.1]);
    assert.equal(result.method, 'exact');
    assert.equal(result.uX, 2);
    assertClose(result.pValue, 0.027972027972027972);
  });

  it('ties use the normal approximation with tie and continuity corrections, as SciPy', () => {
    const x = [1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 9];
    const y = [3, 3, 4, 5, 6, 7, 7, 8, 10, 11, 12, 12];
    // scipy.stats.mannwhitneyu(x, y) = (statistic=36.5, pvalue=0.0730737593012524)
    // scipy.stats.mannwhitneyu(x, y, use_continuity=False).pvalue = 0.06826210459362675
    const result = mannWhitneyU(x, y);
    assert.equal(result.method, 'normal');
    assert.equal(result.hasTies, true);
    assert.equal(result.uX, 36.5);
    assertClose(result.pValue, 0.0730737593012524);
    assert.ok(result.z !== null && result.z < 0);
    assertClose(mannWhitneyU(x, y, { continuityCorrection: false }).pValue, 0.06826210459362675);
  });

  it('forced exact under ties is the exact permutation distribution of the midrank sum', () => {
    // scipy.stats.permutation_test((x, y), U statistic, permutation_type='independent', n_resamples=inf)
    // .pvalue = 0.17316017316017315 (the same number by brute force over all C(11, 5) splits in Python).
    const x = [1, 2, 2, 3, 5];
    const y = [2, 3, 3, 4, 6, 7];
    const exact = mannWhitneyU(x, y, { method: 'exact' });
    assert.equal(exact.method, 'exact');
    assertClose(exact.pValue, 0.17316017316017315);
    // scipy.stats.mannwhitneyu(x, y).pvalue = 0.16304505585423734 (normal, its default under ties)
    assertClose(mannWhitneyU(x, y).pValue, 0.16304505585423734);
  });

  it('large samples without ties use the normal approximation', () => {
    const x = Array.from({ length: 20 }, (_, i) => 2 * i);
    const y = Array.from({ length: 20 }, (_, i) => 2 * i + 1);
    const result = mannWhitneyU(x, y);
    assert.equal(result.method, 'normal');
    assert.ok(result.pValue > 0.5);
  });

  it('all values tied gives U = nX·nY/2, p = 1 and rank-biserial 0', () => {
    const result = mannWhitneyU([3, 3], [3, 3, 3]);
    assert.equal(result.uX, 3);
    assert.equal(result.pValue, 1);
    assert.equal(result.rankBiserial, 0);
  });

  it('rejects empty samples and NaN, and refuses an exact test too large to enumerate', () => {
    assert.throws(() => mannWhitneyU([], [1]), RangeError);
    assert.throws(() => mannWhitneyU([1], [Number.NaN]), RangeError);
    const big = Array.from({ length: 2000 }, (_, i) => i);
    assert.throws(() => mannWhitneyU(big.slice(0, 1000), big.slice(1000), { method: 'exact' }), /too large/);
  });
});
