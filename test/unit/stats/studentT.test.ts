import * as assert from 'node:assert/strict';
import { studentTCdf, studentTQuantile, studentTTwoSidedP } from '../../../src/stats/studentT';

function assertClose(actual: number, expected: number, relative: number, message?: string): void {
  const tolerance = relative * Math.abs(expected);
  assert.ok(Math.abs(actual - expected) <= tolerance, `${message ?? ''} expected ${expected}, got ${actual}`);
}

describe('stats/studentT', () => {
  it('quantile matches closed forms for df = 1 (Cauchy) and df = 2', () => {
    for (const p of [0.6, 0.9, 0.975, 0.995, 0.02]) {
      assertClose(studentTQuantile(p, 1), Math.tan(Math.PI * (p - 0.5)), 1e-12, `df=1 p=${p}`);
      const df2 = (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
      assertClose(studentTQuantile(p, 2), df2, 1e-12, `df=2 p=${p}`);
    }
  });

  it('quantile matches 40-digit reference values', () => {
    // mpmath (mp.dps = 40) root of the exact t CDF, seeded from scipy.stats.t.ppf(p, df). SciPy 1.10's
    // t.ppf itself is off by up to ~2e-9 relative here (e.g. 5.84090929975643 for (0.995, 3), whose
    // t.cdf is 0.99499999997604), so the referee is mpmath; the task asks for 1e-6, we hold 1e-12.
    const cases: [number, number, number][] = [
      [0.975, 1, 12.706204736174692],
      [0.975, 2, 4.302652729749462],
      [0.975, 4, 2.7764451051977934],
      [0.975, 9, 2.262157162798205],
      [0.975, 29, 2.045229642132704],
      [0.995, 3, 5.840909309733355],
      [0.6, 5, 0.26718086570414507],
      [0.001, 2.5, -13.822193110865966],
      [0.975, 1000, 1.962339080826408],
      [1e-10, 3, -2225.7692846830932],
      [0.75, 0.5, 1.5537739740300374],
    ];
    for (const [p, df, expected] of cases) assertClose(studentTQuantile(p, df), expected, 1e-12, `p=${p} df=${df}`);
    assert.equal(studentTQuantile(0.5, 7), 0);
    assert.ok(Math.abs(studentTQuantile(0.5000001, 7) - 2.597460274290387e-7) < 1e-15);
  });

  it('CDF and two-sided p invert the quantile and match SciPy', () => {
    // 2 * scipy.stats.t.sf(2.5, 6), 2 * t.sf(40, 3)
    assertClose(studentTTwoSidedP(2.5, 6), 0.04652823228416728, 1e-12);
    assertClose(studentTTwoSidedP(-40, 3), 3.438068078915854e-5, 1e-12);
    assert.equal(studentTTwoSidedP(0, 4), 1);
    assert.equal(studentTTwoSidedP(Infinity, 4), 0);
    for (const df of [1, 3, 12.5, 200]) {
      for (const p of [0.01, 0.3, 0.7, 0.975]) assertClose(studentTCdf(studentTQuantile(p, df), df), p, 1e-12);
    }
  });

  it('rejects bad arguments instead of returning NaN', () => {
    assert.throws(() => studentTQuantile(0, 3), RangeError);
    assert.throws(() => studentTQuantile(1, 3), RangeError);
    assert.throws(() => studentTQuantile(0.9, 0), RangeError);
    assert.throws(() => studentTTwoSidedP(Number.NaN, 3), RangeError);
  });
});
