import { requireFinite, requirePositiveInteger } from './validate';

/**
 * Measures of a model's output distribution (the "skew" figures of the interventions probe): the
 * histogram of predicted classes, the total-variation distance between two histograms, Shannon entropy
 * and the share of the most predicted class. Histograms may be given as counts or as probabilities; each
 * measure normalises first.
 */

/**
 * Counts of each predicted class 0..classCount-1. Throws a `RangeError` for a prediction that is not an
 * integer class index.
 *
 * @example predictionHistogram([0, 2, 2], 3) // [1, 0, 2]
 */
export function predictionHistogram(predictions: readonly number[], classCount: number): number[] {
  requirePositiveInteger(classCount, 'classCount');
  const counts = new Array<number>(classCount).fill(0);
  predictions.forEach((prediction, i) => {
    if (!Number.isInteger(prediction) || prediction < 0 || prediction >= classCount) {
      throw new RangeError(`predictions[${i}] = ${String(prediction)} is not a class index in 0..${classCount - 1}`);
    }
    counts[prediction]++;
  });
  return counts;
}

/**
 * The histogram scaled to sum to 1. Throws a `RangeError` for an empty histogram, a negative or
 * non-finite entry, or a zero total (no predictions: there is no distribution to describe).
 */
export function normalizeHistogram(histogram: readonly number[]): number[] {
  if (histogram.length === 0) throw new RangeError('histogram has no classes');
  requireFinite(histogram, 'histogram');
  let total = 0;
  histogram.forEach((value, i) => {
    if (value < 0) throw new RangeError(`histogram[${i}] = ${value} is negative`);
    total += value;
  });
  if (total === 0) throw new RangeError('histogram is all zeros; it has no distribution to normalise');
  return histogram.map((value) => value / total);
}

/**
 * Total-variation distance ½ Σ_k |p_k - q_k| between the normalised histograms, in [0, 1]: 0 for the same
 * distribution, 1 for disjoint support. Throws a `RangeError` when the class counts differ.
 *
 * @example totalVariationDistance([5, 5, 0], [0, 5, 5]) // 0.5
 */
export function totalVariationDistance(p: readonly number[], q: readonly number[]): number {
  if (p.length !== q.length) throw new RangeError(`histograms have ${p.length} and ${q.length} classes; they must match`);
  const normalP = normalizeHistogram(p);
  const normalQ = normalizeHistogram(q);
  let sum = 0;
  for (let k = 0; k < normalP.length; k++) sum += Math.abs(normalP[k] - normalQ[k]);
  return Math.min(1, sum / 2);
}

/**
 * Shannon entropy -Σ p_k ln p_k of the normalised histogram in **nats** (natural log), with 0·ln 0 = 0.
 * Ranges from 0 (every prediction one class) to ln K (uniform over K classes).
 */
export function entropyNats(histogram: readonly number[]): number {
  let entropy = 0;
  for (const p of normalizeHistogram(histogram)) if (p > 0) entropy -= p * Math.log(p);
  return entropy;
}

/**
 * Shannon entropy -Σ p_k log₂ p_k in **bits**, with 0·log 0 = 0: 0 to log₂ K.
 *
 * @example entropyBits([1, 1, 1, 1]) // 2
 */
export function entropyBits(histogram: readonly number[]): number {
  let entropy = 0;
  for (const p of normalizeHistogram(histogram)) if (p > 0) entropy -= p * Math.log2(p);
  return entropy;
}

export interface TopClassShare {
  /** The most frequent class (the lowest index among equally frequent ones). */
  classIndex: number;
  /** Its share of all predictions, in (0, 1]. */
  share: number;
}

/**
 * The most predicted class and its share, e.g. 101 of 102 stimuli predicted "sunflower" gives 0.99.
 *
 * @example topClassShare([1, 6, 3]) // { classIndex: 1, share: 0.6 }
 */
export function topClassShare(histogram: readonly number[]): TopClassShare {
  const normalised = normalizeHistogram(histogram);
  let classIndex = 0;
  for (let k = 1; k < normalised.length; k++) if (normalised[k] > normalised[classIndex]) classIndex = k;
  return { classIndex, share: normalised[classIndex] };
}
