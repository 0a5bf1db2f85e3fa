import { strict as assert } from 'node:assert';
import { classSizeCovariate } from '../../../../src/probes/stimuli/aggregate';
import {
  classCentroids,
  consistentClasses,
  distanceToOneHot,
  labelCounts,
  labelMode,
  outperformsCentroid,
  ownTargetHits,
} from '../../../../src/probes/stimuli/metrics';

function close(actual: number, expected: number, tolerance = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);
}

describe('probes/stimuli metrics', () => {
  it('distance to the one-hot target: sqrt((1 - p_t)^2 + sum of the other p^2)', () => {
    // p = (0.6, 0.3, 0.1), t = 0: sqrt(0.16 + 0.09 + 0.01) = sqrt(0.26)
    close(distanceToOneHot([0.6, 0.3, 0.1], 0), Math.sqrt(0.26));
    close(distanceToOneHot([0, 1, 0], 1), 0);
    close(distanceToOneHot([1, 0, 0], 2), Math.sqrt(2));
    assert.throws(() => distanceToOneHot([0.5, 0.5], 2), RangeError);
  });

  it('the centroid rule: outperforms iff the stimulus is strictly closer to e_t than the centroid', () => {
    // centroid (0.7, 0.2, 0.1): distance sqrt(0.09 + 0.04 + 0.01) = sqrt(0.14) ≈ 0.374
    const centroid = [0.7, 0.2, 0.1];
    const better = outperformsCentroid([0.8, 0.1, 0.1], centroid, 0); // sqrt(0.04 + 0.01 + 0.01) = sqrt(0.06)
    assert.equal(better.outperforms, true);
    close(better.stimulusDistance, Math.sqrt(0.06));
    close(better.centroidDistance, Math.sqrt(0.14));
    // A more confident stimulus for the wrong class loses.
    assert.equal(outperformsCentroid([0.05, 0.9, 0.05], centroid, 0).outperforms, false);
    // Equal distances do not outperform (strict <).
    assert.equal(outperformsCentroid([0.7, 0.2, 0.1], centroid, 0).outperforms, false);
  });

  it('class centroids are the mean softmax rows per label; an empty class is null', () => {
    const probabilities = [
      [0.9, 0.1, 0],
      [0.5, 0.5, 0],
      [0.2, 0.8, 0],
    ].flat();
    const centroids = classCentroids(probabilities, [0, 0, 1], 3);
    assert.deepEqual(Array.from(centroids[0]!).map((v) => Number(v.toFixed(12))), [0.7, 0.3, 0]);
    assert.deepEqual(Array.from(centroids[1]!).map((v) => Number(v.toFixed(12))), [0.2, 0.8, 0]);
    assert.equal(centroids[2], null);
    assert.throws(() => classCentroids(probabilities, [0, 0, 3], 3), /outside/);
    assert.throws(() => classCentroids(probabilities, [0, 0], 3), /do not fit/);
  });

  it('label-mode table: most frequent label with its name and share; counts sorted, ties to the lower label', () => {
    const names = ['a', 'b', 'c', 'd'];
    const predicted = [2, 2, 1, 2, 0, 1, 3, 2];
    assert.deepEqual(labelCounts(predicted, names), [
      { label: 2, name: 'c', count: 4 },
      { label: 1, name: 'b', count: 2 },
      { label: 0, name: 'a', count: 1 },
      { label: 3, name: 'd', count: 1 },
    ]);
    assert.deepEqual(labelMode(predicted, names), { label: 2, name: 'c', count: 4, share: 0.5 });
    assert.deepEqual(labelMode([3, 1, 1, 3], names), { label: 1, name: 'b', count: 2, share: 0.5 });
    assert.throws(() => labelMode([], names), /at least one/);
  });

  it('own-target hits count stimuli predicted as their own mapped class', () => {
    assert.equal(ownTargetHits([0, 1, 1, 3], [0, 1, 2, 3]), 3);
    assert.equal(ownTargetHits([0, 1, 1, 3], [null, 1, 2, null]), 1);
    assert.throws(() => ownTargetHits([0], [0, 1]), RangeError);
  });

  it('consistent classes outperform in every child', () => {
    const perChild = [
      [true, true, false, true],
      [true, false, false, true],
      [true, true, true, true],
    ];
    assert.deepEqual(consistentClasses(perChild, [5, 6, 7, 8]), [5, 8]);
    assert.deepEqual(consistentClasses([], [5, 6]), []);
    assert.throws(() => consistentClasses([[true]], [1, 2]), RangeError);
  });

  it('class-size covariate: means of the two groups and the exact Mann-Whitney p', () => {
    // Consistent classes 0, 1, 2 have 10, 20, 30 images; the others 40, 50, 60: U = 0 and the exact
    // two-sided p = 2 / C(6, 3) = 0.1 (the two most extreme of the 20 equally likely rank splits).
    const counts = [10, 20, 30, 40, 50, 60];
    const { value, note } = classSizeCovariate([0, 1, 2], [0, 1, 2, 3, 4, 5], counts);
    assert.equal(note, null);
    assert.deepEqual(value, { consistentMeanCount: 20, otherMeanCount: 50, consistentClassCount: 3, otherClassCount: 3, mannWhitneyU: 0, pValue: 0.1 });
    const mixed = classSizeCovariate([1, 4], [0, 1, 2, 3, 4, 5], counts).value!;
    // consistent {20, 50} vs others {10, 30, 40, 60}: pairs with consistent > other: 20>10, 50>10,30,40 = 4.
    assert.equal(mixed.mannWhitneyU, 4);
    close(mixed.consistentMeanCount, 35);
    close(mixed.otherMeanCount, 35);
  });

  it('class-size covariate is null with a reason when a group is empty', () => {
    assert.deepEqual(classSizeCovariate([], [0, 1], [5, 6]), { value: null, note: 'no class outperforms its centroid in every child, so there is nothing to compare' });
    assert.equal(classSizeCovariate([0, 1], [0, 1], [5, 6]).value, null);
    assert.match(classSizeCovariate([0, 1], [0, 1], [5, 6]).note ?? '', /no other group/);
  });
});
