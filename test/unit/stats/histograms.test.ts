import * as assert from 'node:assert/strict';
import {
  entropyBits,
  entropyNats,
  normalizeHistogram,
  predictionHistogram,
  topClassShare,
  totalVariationDistance,
} from '../../../src/stats/histograms';

describe('stats/histograms', () => {
  it('counts predicted classes, including classes never predicted', () => {
    assert.deepEqual(predictionHistogram([0, 2, 2, 2], 4), [1, 0, 3, 0]);
    assert.deepEqual(predictionHistogram([], 2), [0, 0]);
    assert.throws(() => predictionHistogram([3], 3), /not a class index/);
    assert.throws(() => predictionHistogram([0.5], 3), RangeError);
  });

  it('normalises to proportions and rejects histograms without a distribution', () => {
    assert.deepEqual(normalizeHistogram([1, 3]), [0.25, 0.75]);
    assert.throws(() => normalizeHistogram([0, 0]), /all zeros/);
    assert.throws(() => normalizeHistogram([]), RangeError);
    assert.throws(() => normalizeHistogram([1, -1]), /negative/);
  });

  it('total-variation distance: 0 for the same distribution, 1 for disjoint, ½Σ|p-q| between', () => {
    assert.equal(totalVariationDistance([2, 6, 2], [1, 3, 1]), 0);
    assert.equal(totalVariationDistance([5, 0], [0, 7]), 1);
    assert.equal(totalVariationDistance([5, 5, 0], [0, 5, 5]), 0.5);
    // counts and probabilities mix: [0.5, 0.5] vs [0.9, 0.1] → ½(0.4 + 0.4) = 0.4
    assert.ok(Math.abs(totalVariationDistance([10, 10], [0.9, 0.1]) - 0.4) < 1e-15);
    assert.throws(() => totalVariationDistance([1, 2], [1, 2, 3]), /must match/);
  });

  it('entropy in nats and in bits matches SciPy and the uniform maximum', () => {
    // scipy.stats.entropy([1,6,3]) = 0.8979457248567798; entropy([1,6,3], base=2) = 1.295461844238322
    assert.ok(Math.abs(entropyNats([1, 6, 3]) - 0.8979457248567798) < 1e-14);
    assert.ok(Math.abs(entropyBits([1, 6, 3]) - 1.295461844238322) < 1e-14);
    assert.equal(entropyBits([1, 1, 1, 1]), 2);
    assert.ok(Math.abs(entropyNats([3, 3, 3]) - Math.log(3)) < 1e-15);
    assert.equal(entropyNats([0, 9, 0]), 0, 'one class: 0·ln 0 counts as 0');
  });

  it('top-class share: the most predicted class and its share, lowest index on a tie', () => {
    assert.deepEqual(topClassShare([1, 6, 3]), { classIndex: 1, share: 0.6 });
    assert.deepEqual(topClassShare([4, 4, 2]), { classIndex: 0, share: 0.4 });
    const sunflower = topClassShare(predictionHistogram([...new Array<number>(101).fill(7), 3], 102));
    assert.equal(sunflower.classIndex, 7);
    assert.ok(Math.abs(sunflower.share - 101 / 102) < 1e-15);
  });
});
