import { strict as assert } from 'node:assert';
import { shuffledIndices, stratifiedSplit } from '../../../src/engine/data/split';

/** Samples with `counts[c]` samples of class c, interleaved. */
function samplesWith(counts: number[]): { index: number; label: number }[] {
  const labels: number[] = [];
  const remaining = [...counts];
  while (remaining.some((n) => n > 0)) remaining.forEach((n, c) => n > 0 && (labels.push(c), remaining[c]--));
  return labels.map((label, index) => ({ index, label }));
}

describe('shuffles and splits', () => {
  it('shuffles reproducibly for a seed, differently for another, without losing or repeating an index', () => {
    const a = shuffledIndices(100, 7);
    assert.deepEqual(shuffledIndices(100, 7), a);
    assert.notDeepEqual(shuffledIndices(100, 8), a);
    assert.notDeepEqual(a, Array.from({ length: 100 }, (_, i) => i));
    assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
    const input = [5, 9, 11];
    const shuffled = shuffledIndices(input, 1);
    assert.deepEqual(input, [5, 9, 11], 'input untouched');
    assert.deepEqual([...shuffled].sort((x, y) => x - y), input);
  });

  it('splits each class in proportion, disjointly, reproducibly', () => {
    const samples = samplesWith([100, 40, 10, 3, 1]);
    const { train, validation } = stratifiedSplit(samples, { validationFraction: 0.2, seed: 3 });
    const count = (list: number[], label: number): number => list.filter((i) => samples[i].label === label).length;
    assert.deepEqual([0, 1, 2, 3, 4].map((c) => count(validation, c)), [20, 8, 2, 1, 0]);
    assert.deepEqual([0, 1, 2, 3, 4].map((c) => count(train, c)), [80, 32, 8, 2, 1]);
    assert.equal(new Set([...train, ...validation]).size, samples.length, 'disjoint and complete');
    assert.deepEqual(train, [...train].sort((a, b) => a - b));
    assert.deepEqual(stratifiedSplit(samples, { validationFraction: 0.2, seed: 3 }), { train, validation });
    assert.notDeepEqual(stratifiedSplit(samples, { validationFraction: 0.2, seed: 4 }).validation, validation);
  });

  it('keeps at least one validation and one training sample for classes of two or more', () => {
    const samples = samplesWith([2, 5]);
    const { train, validation } = stratifiedSplit(samples, { validationFraction: 0.01, seed: 1 });
    assert.equal(validation.length, 2);
    assert.equal(train.length, 5);
    const none = stratifiedSplit(samples, { validationFraction: 0, seed: 1 });
    assert.equal(none.validation.length, 0);
    assert.throws(() => stratifiedSplit(samples, { validationFraction: 1, seed: 1 }), /validationFraction/);
  });

  it('splits only the given indices', () => {
    const samples = samplesWith([10, 10]);
    const subset = samples.filter((s) => s.index % 2 === 0).map((s) => s.index);
    const { train, validation } = stratifiedSplit(samples, { validationFraction: 0.5, seed: 2, indices: subset });
    assert.deepEqual([...train, ...validation].sort((a, b) => a - b), subset);
  });
});
