import * as assert from 'node:assert/strict';
import {
  inverseRegularizedIncompleteBeta,
  logGamma,
  regularizedIncompleteBeta,
  regularizedUpperGamma,
} from '../../../src/stats/specialFunctions';
import { normalSurvival, normalTwoSidedP } from '../../../src/stats/normal';

function assertClose(actual: number, expected: number, relative: number, message?: string): void {
  const tolerance = relative * Math.max(Math.abs(expected), Number.MIN_VALUE);
  assert.ok(Math.abs(actual - expected) <= tolerance, `${message ?? ''} expected ${expected}, got ${actual}`);
}

describe('stats/specialFunctions', () => {
  it('logGamma matches factorials and SciPy gammaln', () => {
    assert.ok(Math.abs(logGamma(1)) < 1e-15);
    assertClose(logGamma(6), Math.log(120), 1e-14, 'ln 5!');
    assertClose(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-14, 'ln Γ(1/2)');
    // scipy.special.gammaln(0.1), gammaln(4.5), gammaln(171.3)
    assertClose(logGamma(0.1), 2.252712651734206, 1e-14);
    assertClose(logGamma(4.5), 2.4537365708424423, 1e-14);
    assertClose(logGamma(171.3), 708.1149470389971, 1e-14);
    assert.throws(() => logGamma(0), RangeError);
  });

  it('regularized incomplete beta matches SciPy betainc and closed forms', () => {
    // I_x(1, 1) = x; I_x(a, 1) = x^a.
    assertClose(regularizedIncompleteBeta(0.37, 1, 1), 0.37, 1e-14);
    assertClose(regularizedIncompleteBeta(0.6, 3, 1), 0.216, 1e-13);
    // scipy.special.betainc(a, b, x) for (x, a, b)
    const cases: [number, number, number, number][] = [
      [0.3, 2, 5, 0.5798250000000001],
      [0.9, 0.5, 0.5, 0.7951672353008662],
      [0.01, 10, 3, 6.480550000000002e-19],
      [0.5, 100, 120, 0.9117960627949612],
      [0.999, 3.5, 0.5, 0.9356322688440224],
    ];
    for (const [x, a, b, expected] of cases) {
      assertClose(regularizedIncompleteBeta(x, a, b), expected, 1e-12, `I_${x}(${a}, ${b})`);
    }
    assert.equal(regularizedIncompleteBeta(0, 2, 3), 0);
    assert.equal(regularizedIncompleteBeta(1, 2, 3), 1);
    assert.throws(() => regularizedIncompleteBeta(0.5, 0, 1), RangeError);
    assert.throws(() => regularizedIncompleteBeta(Number.NaN, 1, 1), RangeError);
  });

  it('inverse incomplete beta inverts it, including skewed and U-shaped cases', () => {
    // scipy.special.betaincinv(1.5, 0.5, 0.01), betaincinv(0.5, 0.5, 0.05)
    assertClose(inverseRegularizedIncompleteBeta(0.01, 1.5, 0.5), 0.08082719289689111, 1e-13);
    assertClose(inverseRegularizedIncompleteBeta(0.05, 0.5, 0.5), 0.006155829702431135, 1e-13);
    for (const [a, b] of [[0.5, 0.5], [2, 5], [10, 3], [100, 120], [0.3, 7], [50, 0.5]]) {
      for (const p of [1e-9, 0.001, 0.2, 0.5, 0.8, 0.999]) {
        const x = inverseRegularizedIncompleteBeta(p, a, b);
        assertClose(regularizedIncompleteBeta(x, a, b), p, 1e-10, `round trip p=${p} a=${a} b=${b}`);
      }
    }
    assert.equal(inverseRegularizedIncompleteBeta(0, 2, 2), 0);
    assert.equal(inverseRegularizedIncompleteBeta(1, 2, 2), 1);
    assert.throws(() => inverseRegularizedIncompleteBeta(1.5, 2, 2), RangeError);
  });

  it('upper incomplete gamma: Q(1, x) = e^-x, and the normal tail matches SciPy norm.sf', () => {
    assertClose(regularizedUpperGamma(1, 2.5), Math.exp(-2.5), 1e-14);
    assertClose(regularizedUpperGamma(3, 0.7), Math.exp(-0.7) * (1 + 0.7 + 0.245), 1e-14);
    assert.equal(regularizedUpperGamma(2, 0), 1);
    // scipy.stats.norm.sf(1.96), norm.sf(-0.5), norm.sf(8)
    assertClose(normalSurvival(1.96), 0.024997895148220435, 1e-13);
    assertClose(normalSurvival(-0.5), 0.6914624612740131, 1e-13);
    assertClose(normalSurvival(8), 6.22096057427174e-16, 1e-12);
    assert.equal(normalSurvival(0), 0.5);
    assertClose(normalTwoSidedP(-1.96), 2 * 0.024997895148220435, 1e-13);
    assert.throws(() => normalSurvival(Number.NaN), RangeError);
  });
});
