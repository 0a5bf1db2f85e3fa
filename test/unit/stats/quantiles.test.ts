import * as assert from 'node:assert/strict';
import { median, quantile, quantiles } from '../../../src/stats/quantiles';

describe('stats/quantiles', () => {
  it('interpolates linearly between order statistics (type 7, NumPy default)', () => {
    // numpy.quantile([3,1,4,1,5,9,2,6], [0, 0.1, 0.25, 0.5, 0.9, 1]) = [1, 1, 1.75, 3.5, 6.9, 9]
    const result = quantiles([3, 1, 4, 1, 5, 9, 2, 6], [0, 0.1, 0.25, 0.5, 0.9, 1]);
    const expected = [1, 1, 1.75, 3.5, 6.8999999999999995, 9];
    result.forEach((value, i) => assert.ok(Math.abs(value - expected[i]) < 1e-12, `q${i}: ${value}`));
    assert.equal(quantile([1, 2, 3, 4], 0.25), 1.75);
  });

  it('median of odd and even counts, and of one value', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([7]), 7);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    quantile(values, 0.5);
    assert.deepEqual(values, [3, 1, 2]);
  });

  it('rejects an empty sample, NaN and probabilities outside [0, 1]', () => {
    assert.throws(() => quantile([], 0.5), RangeError);
    assert.throws(() => quantile([1, Number.NaN], 0.5), RangeError);
    assert.throws(() => quantile([1, 2], 1.5), RangeError);
    assert.throws(() => quantiles([1, 2], [Number.NaN]), RangeError);
  });
});
