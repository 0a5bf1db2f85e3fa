import type { Dataset, SampleRecord } from '../../engine/data/dataset';
import { stratifiedSplit } from '../../engine/data/split';
import { hashJson } from '../../engine/util/hash';

/**
 * A dataset made of some samples of another, re-indexed 0..n-1 (in the order given), with the same classes. Used
 * for the test set held out of the training data when the config names no test data: the probes see an ordinary
 * `Dataset`, and its content hash says which samples it holds.
 */
export function subsetDataset(parent: Dataset, indices: readonly number[], label: string): Dataset {
  const samples: SampleRecord[] = indices.map((parentIndex, index) => ({ ...parent.samples[parentIndex], index }));
  const classCounts = parent.classNames.map(() => 0);
  for (const s of samples) classCounts[s.label]++;
  let hash: Promise<string> | undefined;
  const parentIndexOf = (index: number): number => {
    if (!Number.isInteger(index) || index < 0 || index >= indices.length) throw new RangeError(`sample index ${index} is outside 0..${indices.length - 1} of ${label}`);
    return indices[index];
  };
  return {
    source: parent.source,
    selection: parent.selection,
    specString: `${parent.specString} [${label}]`,
    classNames: parent.classNames,
    sourceClassNames: parent.sourceClassNames,
    samples,
    classCounts,
    attributeNames: parent.attributeNames,
    contentHash() {
      hash ??= parent.contentHash().then((parentHash) => hashJson({ format: 'bias-audit-subset/1', parent: parentHash, indices }));
      return hash;
    },
    nativeShape: (index = 0) => parent.nativeShape(parentIndexOf(index)),
    loadImage: (index, shape) => parent.loadImage(parentIndexOf(index), shape),
  };
}

/**
 * Splits `data` into a training part and a held-out test part, stratified by class and seeded, both as datasets.
 * Used when the config has no `target.test`.
 */
export function holdOutTestSet(data: Dataset, testFraction: number, seed: number): { train: Dataset; test: Dataset } {
  const split = stratifiedSplit(data.samples, { validationFraction: testFraction, seed });
  return {
    train: subsetDataset(data, split.train, `train part, ${Math.round((1 - testFraction) * 100)}%`),
    test: subsetDataset(data, split.validation, `held-out test part, ${Math.round(testFraction * 100)}%`),
  };
}
