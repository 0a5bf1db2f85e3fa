import * as assert from 'node:assert/strict';
import { pearson, spearman } from '../../../src/stats/correlation';

function assertClose(actual: number | null, expected: number, relative = 1e-10): void {
  assert.ok(actual !== null && Math.abs(actual - expected) <= relative * Math.abs(expected), `expected ${expected}, got ${actual}`);
}

describe('stats/correlation', () => {
  it('Spearman is exactly 1 for the same order and exactly -1 for reversed order', () => {
    const x = [0.12, 0.5, 0.33, 0.9, 0.71, 0.05, 0.44, 0.61, 0.27, 0.8, 0.95];
    const sameOrder = x.map((v) => 3 * v + 1);
    const reversed = x.map((v) => -v * v);
    assert.equal(spearman(x, sameOrder).rho, 1);
    assert.equal(spearman(x, reversed).rho, -1);
    assert.equal(spearman([1, 2, 3, 4], [40, 30, 20, 10]).rho, -1);
  });

  it('exact p for n = 4 reversed is 2 / 4! (only the two monotone orderings are as extreme)', () => {
    const result = spearman([1, 2, 3, 4], [40, 30, 20, 10]);
    assert.equal(result.method, 'exact');
    assertClose(result.pValue, 2 / 24);
  });

  it('exact permutation p matches SciPy permutation_test (pairings, all 6! orderings)', () => {
    // scipy.stats.spearmanr(x, y).statistic = 0.8285714285714287; scipy.stats.permutation_test((x, y),
    // lambda a, b: spearmanr(a, b)[0], permutation_type='pairings', n_resamples=inf).pvalue = 0.058333333333333334
    const result = spearman([1.0, 2.5, 3.1, 4.7, 5.2, 6.9], [2, 1, 4, 3, 6, 5]);
    assertClose(result.rho, 0.8285714285714287, 1e-12);
    assertClose(result.pValue, 0.058333333333333334);
  });

  it('average ranks for ties; exact p conditional on the midranks', () => {
    // scipy.stats.spearmanr([1,2,2,3,4], [1,3,2,2,5]).statistic = 0.7631578947368421;
    // permutation_test as above: pvalue = 0.2
    const result = spearman([1, 2, 2, 3, 4], [1, 3, 2, 2, 5]);
    assertClose(result.rho, 0.7631578947368421, 1e-12);
    assertClose(result.pValue, 0.2);
  });

  it('t approximation matches SciPy spearmanr', () => {
    // scipy.stats.spearmanr([1,2,3,4,5], [5,6,7,8,7]) = (0.8207826816681233, pvalue=0.08858700531354381)
    const small = spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7], { method: 't' });
    assert.equal(small.method, 't');
    assertClose(small.rho, 0.8207826816681233, 1e-12);
    assertClose(small.pValue, 0.08858700531354381);
    // n = 12 uses t by default: spearmanr(...) = (0.9370629370629372, pvalue=6.99316495321054e-06)
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    const y = [2, 1, 4, 3, 7, 5, 6, 9, 8, 12, 10, 11];
    const large = spearman(x, y);
    assert.equal(large.method, 't');
    assertClose(large.rho, 0.9370629370629372, 1e-12);
    assertClose(large.pValue, 6.99316495321054e-6);
  });

  it('undefined cases are null, not NaN', () => {
    assert.deepEqual(spearman([], []), { n: 0, rho: null, pValue: null, method: 'exact' });
    assert.deepEqual(spearman([1], [2]), { n: 1, rho: null, pValue: null, method: 'exact' });
    const constant = spearman([1, 2, 3], [5, 5, 5]);
    assert.equal(constant.rho, null);
    assert.equal(constant.pValue, null);
    // Two points are always perfectly (anti)correlated: rho ±1, exact p = 1, no t p-value (df = 0).
    assert.deepEqual(spearman([1, 2], [4, 3]), { n: 2, rho: -1, pValue: 1, method: 'exact' });
    assert.equal(spearman([1, 2], [4, 3], { method: 't' }).pValue, null);
  });

  it('rejects mismatched lengths, NaN, and exact enumeration above n = 10', () => {
    assert.throws(() => spearman([1, 2], [1]), RangeError);
    assert.throws(() => spearman([1, Number.NaN], [1, 2]), RangeError);
    const eleven = Array.from({ length: 11 }, (_, i) => i);
    assert.throws(() => spearman(eleven, eleven, { method: 'exact' }), /n = 11/);
  });

  it('Pearson r and p match SciPy pearsonr', () => {
    // scipy.stats.pearsonr([1,2,3], [2,4,7]) = (0.9933992677987828, pvalue=0.0731863950403274)
    const three = pearson([1, 2, 3], [2, 4, 7]);
    assertClose(three.r, 0.9933992677987828, 1e-12);
    assertClose(three.pValue, 0.0731863950403274);
    // scipy.stats.pearsonr([1..6], [2.1,3.9,6.2,7.8,10.1,5.0]) = (0.6511052400524824, pvalue=0.1613562774962775)
    const six = pearson([1, 2, 3, 4, 5, 6], [2.1, 3.9, 6.2, 7.8, 10.1, 5.0]);
    assertClose(six.r, 0.6511052400524824, 1e-12);
    assertClose(six.pValue, 0.1613562774962775);
  });

  it('Pearson: perfect line gives r = ±1 and p = 0; constant or too short gives null', () => {
    assert.deepEqual(pearson([1, 2, 3, 4], [7, 5, 3, 1]), { n: 4, r: -1, pValue: 0 });
    assert.deepEqual(pearson([1, 2, 3], [2, 2, 2]), { n: 3, r: null, pValue: null });
    assert.deepEqual(pearson([1, 2], [3, 5]), { n: 2, r: 1, pValue: null });
    assert.deepEqual(pearson([1], [3]), { n: 1, r: null, pValue: null });
  });
});
