import * as assert from 'node:assert/strict';
import { similarityFromMatrix, weat, type WeatSets } from '../../../src/stats/weat';

function assertClose(actual: number | null, expected: number, tolerance = 1e-10): void {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);
}

/** Ids 0-1 are X, 2-3 are Y, 10-11 are A, 20-21 are B. */
const constructedSets: WeatSets = { targetsX: [0, 1], targetsY: [2, 3], attributesA: [10, 11], attributesB: [20, 21] };

describe('stats/weat', () => {
  it('a constructed case: X only like A, Y only like B', () => {
    // cos(x, a) = 1, cos(x, b) = 0, cos(y, a) = 0, cos(y, b) = 1: s(x) = 1, s(y) = -1.
    // effect = (1 - (-1)) / std([1, 1, -1, -1]) = 2 / √(4/3) = √3; statistic Σx - Σy = 4.
    const isX = (w: number): boolean => w < 2;
    const similarity = (w: number, attribute: number): number => (isX(w) === attribute < 20 ? 1 : 0);
    const result = weat(constructedSets, similarity, { seed: 1 });
    assert.deepEqual(result.associationsX, [1, 1]);
    assert.deepEqual(result.associationsY, [-1, -1]);
    assert.equal(result.testStatistic, 4);
    assert.equal(result.meanDifference, 2);
    assertClose(result.effectSize, Math.sqrt(3), 1e-14);
    // C(4, 2) = 6 partitions; only the observed one reaches +2, and it or its swap reaches |2|.
    assert.equal(result.method, 'exact');
    assert.equal(result.partitions, 6);
    assertClose(result.pValueOneSided, 1 / 6);
    assertClose(result.pValueTwoSided, 2 / 6);
  });

  it('swapping A and B flips the sign of the effect', () => {
    const similarity = (w: number, attribute: number): number => (w < 2 === attribute < 20 ? 0.9 : 0.1 + 0.01 * w);
    const forward = weat(constructedSets, similarity, { seed: 1 });
    const swapped = weat({ ...constructedSets, attributesA: [20, 21], attributesB: [10, 11] }, similarity, { seed: 1 });
    assertClose(swapped.effectSize, -(forward.effectSize ?? NaN), 1e-14);
  });

  it('matches a Python reference of Caliskan et al. on a random cosine matrix', () => {
    // numpy.random.default_rng(3): 14 unit vectors in R^5, C = round(E @ E.T, 6); X=[0..3], Y=[4..7],
    // A=[8,9,10], B=[11,12,13]; effect = (mean sx - mean sy) / std(sx ∪ sy, ddof=1); exact enumeration
    // of the 70 splits with itertools.combinations: 57 with difference >= observed, 28 with |difference| >= |observed|.
    const result = weat(
      { targetsX: [0, 1, 2, 3], targetsY: [4, 5, 6, 7], attributesA: [8, 9, 10], attributesB: [11, 12, 13] },
      similarityFromMatrix(RANDOM_COSINES),
      { seed: 1 },
    );
    assertClose(result.effectSize, -0.6356085034710965, 1e-12);
    assertClose(result.testStatistic, -0.5714806666666667, 1e-12);
    assertClose(result.meanDifference, -0.1428701666666667, 1e-12);
    assertClose(result.associationsX[0], 0.20824166666666666, 1e-12);
    assert.equal(result.partitions, 70);
    assertClose(result.pValueOneSided, 57 / 70);
    assertClose(result.pValueTwoSided, 28 / 70);
  });

  it('samples partitions (seeded) when enumeration is too large, close to the exact p', () => {
    const sets = { targetsX: [0, 1, 2, 3], targetsY: [4, 5, 6, 7], attributesA: [8, 9, 10], attributesB: [11, 12, 13] };
    const similarity = similarityFromMatrix(RANDOM_COSINES);
    const sampled = weat(sets, similarity, { seed: 42, maxExactPartitions: 10, sampledPartitions: 20000 });
    assert.equal(sampled.method, 'sampled');
    assert.equal(sampled.partitions, 20000);
    assert.ok(Math.abs(sampled.pValueOneSided - 57 / 70) < 0.02, `${sampled.pValueOneSided}`);
    assert.ok(Math.abs(sampled.pValueTwoSided - 28 / 70) < 0.02, `${sampled.pValueTwoSided}`);
    assert.deepEqual(weat(sets, similarity, { seed: 42, maxExactPartitions: 10, sampledPartitions: 20000 }), sampled);
  });

  it('zero spread of associations gives a null effect size and p = 1', () => {
    const result = weat(constructedSets, () => 0.5, { seed: 1 });
    assert.equal(result.effectSize, null);
    assert.equal(result.meanDifference, 0);
    assert.equal(result.pValueOneSided, 1);
    assert.equal(result.pValueTwoSided, 1);
  });

  it('rejects empty sets, non-finite similarities and missing matrix entries', () => {
    assert.throws(() => weat({ ...constructedSets, attributesB: [] }, () => 0, { seed: 1 }), /attributesB is empty/);
    assert.throws(() => weat(constructedSets, () => Number.NaN, { seed: 1 }), /finite cosine/);
    assert.throws(() => weat(constructedSets, similarityFromMatrix([[1]]), { seed: 1 }), /no entry/);
  });
});

const RANDOM_COSINES = [
  [1.0, 0.267735, 0.462098, -0.646635, -0.567202, -0.556099, -0.223457, 0.84167, -0.173542, -0.607033, 0.454669, -0.412523, -0.350332, -0.187776],
  [0.267735, 1.0, -0.408603, -0.492164, -0.496737, -0.046363, 0.066909, 0.042499, -0.063746, 0.067298, 0.11013, 0.119791, -0.603546, -0.117429],
  [0.462098, -0.408603, 1.0, -0.389223, -0.069946, -0.450262, -0.436188, 0.666925, 0.338266, -0.768397, -0.027177, -0.144211, 0.391011, 0.319565],
  [-0.646635, -0.492164, -0.389223, 1.0, 0.077494, 0.130893, 0.318942, -0.571178, -0.426893, 0.209299, 0.063387, 0.482637, 0.595111, -0.474],
  [-0.567202, -0.496737, -0.069946, 0.077494, 1.0, 0.712896, -0.123664, -0.480152, 0.57927, 0.676409, -0.624095, -0.307513, -0.096624, 0.607642],
  [-0.556099, -0.046363, -0.450262, 0.130893, 0.712896, 1.0, -0.414379, -0.82599, 0.606399, 0.801129, -0.833475, 0.162185, -0.41593, 0.094749],
  [-0.223457, 0.066909, -0.436188, 0.318942, -0.123664, -0.414379, 1.0, 0.082388, -0.747319, 0.185175, 0.714079, -0.289744, 0.205396, 0.083887],
  [0.84167, 0.042499, 0.666925, -0.571178, -0.480152, -0.82599, 0.082388, 1.0, -0.250215, -0.745764, 0.62103, -0.519352, 0.039222, 0.1463],
  [-0.173542, -0.063746, 0.338266, -0.426893, 0.57927, 0.606399, -0.747319, -0.250215, 1.0, 0.169173, -0.903281, 0.084529, -0.212172, 0.534023],
  [-0.607033, 0.067298, -0.768397, 0.209299, 0.676409, 0.801129, 0.185175, -0.745764, 0.169173, 1.0, -0.393686, -0.152462, -0.472556, 0.174517],
  [0.454669, 0.11013, -0.027177, 0.063387, -0.624095, -0.833475, 0.714079, 0.62103, -0.903281, -0.393686, 1.0, -0.344531, 0.16167, -0.268777],
  [-0.412523, 0.119791, -0.144211, 0.482637, -0.307513, 0.162185, -0.289744, -0.519352, 0.084529, -0.152462, -0.344531, 1.0, 0.40517, -0.492535],
  [-0.350332, -0.603546, 0.391011, 0.595111, -0.096624, -0.41593, 0.205396, 0.039222, -0.212172, -0.472556, 0.16167, 0.40517, 1.0, -0.024362],
  [-0.187776, -0.117429, 0.319565, -0.474, 0.607642, 0.094749, 0.083887, 0.1463, 0.534023, 0.174517, -0.268777, -0.492535, -0.024362, 1.0],
];
