import type { LabelCount, LabelMode } from '../../protocol/results';

/**
 * The strong-stimuli metrics on plain numbers (MISSION.md, probe 1): the centroid rule, label modes,
 * own-target hits, consistency across children. No tensors, so each is checked on hand-computed cases.
 */

/** ||p - e_t||_2 for a probability vector p and the one-hot vector of class t. */
export function distanceToOneHot(probabilities: ArrayLike<number>, target: number): number {
  if (!Number.isInteger(target) || target < 0 || target >= probabilities.length) {
    throw new RangeError(`class ${target} is outside the ${probabilities.length} probabilities`);
  }
  let sum = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const d = probabilities[i] - (i === target ? 1 : 0);
    sum += d * d;
  }
  return Math.sqrt(sum);
}

/**
 * Per class, the mean probability vector of the rows labelled with it: c_t = mean softmax(M(x)) over
 * training images x of class t. A class without rows gets null.
 *
 * @param probabilities row-major [N, K]
 * @param labels [N] class labels in 0..K-1
 */
export function classCentroids(probabilities: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): (Float64Array | null)[] {
  if (probabilities.length !== labels.length * numClasses) {
    throw new RangeError(`${probabilities.length} probabilities do not fit ${labels.length} rows of ${numClasses} classes`);
  }
  const sums = Array.from({ length: numClasses }, () => new Float64Array(numClasses));
  const counts = new Array<number>(numClasses).fill(0);
  for (let row = 0; row < labels.length; row++) {
    const label = labels[row];
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) throw new RangeError(`label ${label} of row ${row} is outside 0..${numClasses - 1}`);
    counts[label]++;
    const sum = sums[label];
    for (let k = 0; k < numClasses; k++) sum[k] += probabilities[row * numClasses + k];
  }
  return sums.map((sum, c) => (counts[c] === 0 ? null : sum.map((v) => v / counts[c])));
}

/** The outperform rule: the stimulus's output is closer to the one-hot target than the class centroid is. */
export function outperformsCentroid(stimulusProbabilities: ArrayLike<number>, centroid: ArrayLike<number>, target: number): { outperforms: boolean; stimulusDistance: number; centroidDistance: number } {
  const stimulusDistance = distanceToOneHot(stimulusProbabilities, target);
  const centroidDistance = distanceToOneHot(centroid, target);
  return { outperforms: stimulusDistance < centroidDistance, stimulusDistance, centroidDistance };
}

/** Every predicted label with its count, most frequent first (ties: lower label first). */
export function labelCounts(predicted: readonly number[], classNames: readonly string[]): LabelCount[] {
  const counts = new Map<number, number>();
  for (const label of predicted) counts.set(label, (counts.get(label) ?? 0) + 1);
  return [...counts.entries()]
    .map(([label, count]) => ({ label, name: classNames[label] ?? String(label), count }))
    .sort((a, b) => b.count - a.count || a.label - b.label);
}

/** The most frequent predicted label, its name, count and share of all stimuli (ties: the lower label). */
export function labelMode(predicted: readonly number[], classNames: readonly string[]): LabelMode {
  if (predicted.length === 0) throw new RangeError('no predictions: the label mode needs at least one stimulus');
  const [top] = labelCounts(predicted, classNames);
  return { ...top, share: top.count / predicted.length };
}

/** Stimuli predicted as their own (mapped) target class; targets that are null are not counted. */
export function ownTargetHits(predicted: readonly number[], targets: readonly (number | null)[]): number {
  if (predicted.length !== targets.length) throw new RangeError(`${predicted.length} predictions for ${targets.length} targets`);
  return predicted.reduce((hits, label, i) => hits + (targets[i] !== null && label === targets[i] ? 1 : 0), 0);
}

/**
 * Target classes whose stimulus outperforms its centroid in every child, ascending.
 * @param outperformsPerChild one `outperforms` array per child, each in stimulus order
 * @param targets the target class of each stimulus
 */
export function consistentClasses(outperformsPerChild: readonly (readonly boolean[])[], targets: readonly number[]): number[] {
  if (outperformsPerChild.length === 0) return [];
  for (const row of outperformsPerChild) {
    if (row.length !== targets.length) throw new RangeError(`an outperform list has ${row.length} entries for ${targets.length} stimuli`);
  }
  const consistent = targets.filter((_, i) => outperformsPerChild.every((row) => row[i]));
  return [...new Set(consistent)].sort((a, b) => a - b);
}
