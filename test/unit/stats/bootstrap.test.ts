import * as assert from 'node:assert/strict';
import { bootstrapPercentileInterval, type IndexStatistic } from '../../../src/stats/bootstrap';

/** Accuracy over the resampled test images, from a 0/1 correctness vector. */
function accuracyOver(correct: readonly number[]): IndexStatistic {
  return (indices) => {
    let hits = 0;
    for (const index of indices) hits += correct[index];
    return hits / indices.length;
  };
}

describe('stats/bootstrap', () => {
  it('estimate is the statistic on the original items and the interval brackets it', () => {
    const correct = Array.from({ length: 1000 }, (_, i) => (i % 10 < 7 ? 1 : 0));
    const interval = bootstrapPercentileInterval(correct.length, accuracyOver(correct), { seed: 11 });
    assert.ok(interval);
    assert.equal(interval.estimate, 0.7);
    assert.ok(interval.lo < 0.7 && interval.hi > 0.7, `${interval.lo}..${interval.hi}`);
    assert.equal(interval.resamples, 2000);
    assert.equal(interval.usedResamples, 2000);
    assert.equal(interval.level, 0.95);
  });

  it('width agrees with the binomial normal interval (±1.96·√(p(1-p)/n))', () => {
    const correct = Array.from({ length: 1000 }, (_, i) => (i % 10 < 7 ? 1 : 0));
    const interval = bootstrapPercentileInterval(correct.length, accuracyOver(correct), { seed: 5, resamples: 4000 });
    assert.ok(interval);
    const expectedHalfWidth = 1.959963984540054 * Math.sqrt((0.7 * 0.3) / 1000); // 0.0284
    const halfWidth = (interval.hi - interval.lo) / 2;
    assert.ok(Math.abs(halfWidth - expectedHalfWidth) < 0.003, `half width ${halfWidth}`);
  });

  it('is reproducible for a seed and changes with the seed', () => {
    const correct = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const statistic = accuracyOver(correct);
    const a = bootstrapPercentileInterval(200, statistic, { seed: 1, resamples: 500 });
    const b = bootstrapPercentileInterval(200, statistic, { seed: 1, resamples: 500 });
    const c = bootstrapPercentileInterval(200, statistic, { seed: 2, resamples: 500 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('a constant statistic gives a zero-width interval', () => {
    const interval = bootstrapPercentileInterval(50, accuracyOver(new Array<number>(50).fill(1)), { seed: 3, resamples: 200 });
    assert.deepEqual(interval && [interval.lo, interval.hi], [1, 1]);
  });

  it('drops resamples where the statistic is undefined and counts them', () => {
    // "Accuracy on item 0's copies": undefined whenever item 0 was not drawn (probability (1-1/3)^3 ≈ 0.30).
    const statistic: IndexStatistic = (indices) => (indices.includes(0) ? 1 : null);
    const interval = bootstrapPercentileInterval(3, statistic, { seed: 9, resamples: 1000 });
    assert.ok(interval);
    assert.ok(interval.usedResamples > 600 && interval.usedResamples < 800, `${interval.usedResamples}`);
  });

  it('returns null when the statistic is undefined on the original items or on every resample', () => {
    assert.equal(bootstrapPercentileInterval(4, () => null, { seed: 1 }), null);
    let call = 0;
    const onlyOriginal: IndexStatistic = () => (call++ === 0 ? 0.5 : null);
    assert.equal(bootstrapPercentileInterval(4, onlyOriginal, { seed: 1, resamples: 10 }), null);
  });

  it('throws on NaN statistics and bad options', () => {
    assert.throws(() => bootstrapPercentileInterval(4, () => Number.NaN, { seed: 1 }), /return null/);
    assert.throws(() => bootstrapPercentileInterval(0, () => 1, { seed: 1 }), RangeError);
    assert.throws(() => bootstrapPercentileInterval(4, () => 1, { seed: 1, resamples: 0 }), RangeError);
    assert.throws(() => bootstrapPercentileInterval(4, () => 1, { seed: 1, level: 1 }), RangeError);
  });
});
