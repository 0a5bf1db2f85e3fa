import * as assert from 'node:assert/strict';
import { averageRanks, rankWithTies, tieCorrectionSum } from '../../../src/stats/ranks';

describe('stats/ranks', () => {
  it('ranks from 1 in input order', () => {
    assert.deepEqual(averageRanks([30, 10, 20]), [3, 1, 2]);
    assert.deepEqual(averageRanks([]), []);
  });

  it('averages the ranks of ties (scipy.stats.rankdata method="average")', () => {
    // scipy.stats.rankdata([10, 20, 20, 5]) = [2, 3.5, 3.5, 1]
    assert.deepEqual(averageRanks([10, 20, 20, 5]), [2, 3.5, 3.5, 1]);
    // scipy.stats.rankdata([1, 3, 3, 3, 2, 1]) = [1.5, 5, 5, 5, 3, 1.5]
    const { ranks, tieGroupSizes } = rankWithTies([1, 3, 3, 3, 2, 1]);
    assert.deepEqual(ranks, [1.5, 5, 5, 5, 3, 1.5]);
    assert.deepEqual([...tieGroupSizes].sort(), [2, 3]);
  });

  it('all ties share the middle rank', () => {
    const { ranks, tieGroupSizes } = rankWithTies([4, 4, 4, 4]);
    assert.deepEqual(ranks, [2.5, 2.5, 2.5, 2.5]);
    assert.deepEqual(tieGroupSizes, [4]);
  });

  it('tie correction sums t³ - t over groups', () => {
    assert.equal(tieCorrectionSum([2, 3]), 6 + 24);
    assert.equal(tieCorrectionSum([]), 0);
  });

  it('rejects NaN', () => {
    assert.throws(() => averageRanks([1, Number.NaN]), RangeError);
  });
});
