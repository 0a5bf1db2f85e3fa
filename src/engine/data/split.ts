import { Random, deriveSeed } from '../util/random';
import type { SampleRecord } from './dataset';

/** A seeded permutation of `indices` (or of 0..n-1 when given a count); the input is not modified. */
export function shuffledIndices(indices: readonly number[] | number, seed: number): number[] {
  const list = typeof indices === 'number' ? Array.from({ length: indices }, (_, i) => i) : [...indices];
  return new Random(seed).shuffle(list);
}

/** Sample indices of a train/validation split, each ascending. */
export interface TrainValidationSplit {
  train: number[];
  validation: number[];
}

/**
 * A seeded stratified split: within each class, `round(n * validationFraction)` samples chosen at random go
 * to validation (at least one, and at least one left for training, when the class has two or more samples
 * and the fraction is above 0). So every class keeps its share in both parts.
 *
 * @param samples the dataset's samples (only `index` and `label` are read).
 * @param options.indices restrict the split to these sample indices (default: all).
 * @example
 * const { train, validation } = stratifiedSplit(dataset.samples, { validationFraction: 0.1, seed: 1 });
 */
export function stratifiedSplit(
  samples: readonly Pick<SampleRecord, 'index' | 'label'>[],
  options: { validationFraction: number; seed: number; indices?: readonly number[] },
): TrainValidationSplit {
  const { validationFraction, seed } = options;
  if (!(validationFraction >= 0 && validationFraction < 1)) {
    throw new RangeError(`stratifiedSplit: validationFraction must be in [0, 1), got ${validationFraction}`);
  }
  const byClass = new Map<number, number[]>();
  const pool = options.indices ?? samples.map((s) => s.index);
  for (const index of pool) {
    const sample = samples[index];
    if (sample === undefined) throw new RangeError(`stratifiedSplit: sample index ${index} is out of range`);
    const list = byClass.get(sample.label) ?? [];
    list.push(index);
    byClass.set(sample.label, list);
  }
  const train: number[] = [];
  const validation: number[] = [];
  for (const [label, members] of [...byClass.entries()].sort((a, b) => a[0] - b[0])) {
    const order = new Random(deriveSeed(seed, 'split', label)).shuffle([...members].sort((a, b) => a - b));
    let validationCount = Math.round(order.length * validationFraction);
    if (validationFraction > 0 && order.length >= 2) validationCount = Math.min(Math.max(validationCount, 1), order.length - 1);
    validation.push(...order.slice(0, validationCount));
    train.push(...order.slice(validationCount));
  }
  return { train: train.sort((a, b) => a - b), validation: validation.sort((a, b) => a - b) };
}
