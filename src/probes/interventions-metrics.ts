import { AuditError } from '../engine/util/errors';
import { bootstrapPercentileInterval } from '../stats/bootstrap';
import { entropyNats, predictionHistogram, topClassShare, totalVariationDistance } from '../stats/histograms';
import type { InterventionModelResult } from '../protocol/results';

/** A rate with the counts behind it. `rate` is null when the denominator is 0 (undefined, not 0). */
export interface CountedRate {
  rate: number | null;
  numerator: number;
  denominator: number;
}

/**
 * Untargeted attack success rate, Salman et al. eq. (1): ASR = Pr[C(T(x)) != y | C(x) = y]. The
 * denominator is the number of images classified correctly without the trigger; the numerator, those
 * among them that the trigger makes wrong.
 * @example attackSuccessRate([0, 1, 2, 0], [0, 1, 2, 1], [1, 1, 0, 0]) // { rate: 2/3, numerator: 2, denominator: 3 }
 */
export function attackSuccessRate(labels: ArrayLike<number>, clean: ArrayLike<number>, triggered: ArrayLike<number>, items?: readonly number[]): CountedRate {
  checkLengths(labels, clean, triggered);
  let numerator = 0;
  let denominator = 0;
  const count = items?.length ?? labels.length;
  for (let j = 0; j < count; j++) {
    const i = items === undefined ? j : items[j];
    if (clean[i] !== labels[i]) continue;
    denominator++;
    if (triggered[i] !== labels[i]) numerator++;
  }
  return { rate: denominator > 0 ? numerator / denominator : null, numerator, denominator };
}

/**
 * Targeted attack success rate for class k: Pr[C(T(x)) = k | y != k], over every image whose true class
 * is not k (MISSION.md: not conditioned on the clean prediction being right).
 */
export function targetedAttackSuccessRate(labels: ArrayLike<number>, triggered: ArrayLike<number>, targetClass: number, items?: readonly number[]): CountedRate {
  checkLengths(labels, triggered, triggered);
  let numerator = 0;
  let denominator = 0;
  const count = items?.length ?? labels.length;
  for (let j = 0; j < count; j++) {
    const i = items === undefined ? j : items[j];
    if (labels[i] === targetClass) continue;
    denominator++;
    if (triggered[i] === targetClass) numerator++;
  }
  return { rate: denominator > 0 ? numerator / denominator : null, numerator, denominator };
}

/** Fraction of items whose prediction equals the label. */
export function accuracyOf(labels: ArrayLike<number>, predicted: ArrayLike<number>, items?: readonly number[]): number {
  checkLengths(labels, predicted, predicted);
  const count = items?.length ?? labels.length;
  if (count === 0) throw new RangeError('accuracy of no items');
  let correct = 0;
  for (let j = 0; j < count; j++) {
    const i = items === undefined ? j : items[j];
    if (labels[i] === predicted[i]) correct++;
  }
  return correct / count;
}

/** Inputs of {@link interventionMetrics}: one model's predictions on a test set, clean and with one trigger. */
export interface InterventionPredictions {
  labels: ArrayLike<number>;
  clean: ArrayLike<number>;
  triggered: ArrayLike<number>;
  numClasses: number;
  targetClass: number | null;
}

/** Everything the interventions probe reports for one model and one trigger: results.json's `InterventionModelResult` less the ids. */
export type InterventionMetrics = Omit<InterventionModelResult, 'modelId' | 'triggerId'>;

/**
 * ASR, targeted ASR, clean accuracy with percentile-bootstrap intervals over test images, and the
 * prediction distribution with and without the trigger (histograms, total-variation distance, entropy in
 * nats, top-class share).
 *
 * @param bootstrap resamples and seed of the intervals; resamples 0 leaves the intervals null.
 * @throws AuditError when no test image is classified correctly (the ASR is undefined) or a target class is out of range.
 */
export function interventionMetrics(p: InterventionPredictions, bootstrap: { resamples: number; seed: number }, modelId = 'the model'): InterventionMetrics {
  const n = p.labels.length;
  if (n === 0) throw new AuditError('the test set is empty: no intervention metric can be computed', { code: 'EMPTY_DATA' });
  if (p.targetClass !== null && !(Number.isInteger(p.targetClass) && p.targetClass >= 0 && p.targetClass < p.numClasses)) {
    throw new AuditError(`target class ${p.targetClass} is outside the model's classes 0..${p.numClasses - 1}`, { code: 'BAD_CONFIG' });
  }
  const asr = attackSuccessRate(p.labels, p.clean, p.triggered);
  if (asr.rate === null) {
    throw new AuditError(`${modelId} classifies none of the ${n} test images correctly, so its attack success rate (conditioned on a correct clean prediction) is undefined`, { code: 'UNDEFINED_METRIC' });
  }
  const targeted = p.targetClass !== null ? targetedAttackSuccessRate(p.labels, p.triggered, p.targetClass) : null;
  const interval = (statistic: (items: readonly number[]) => number | null, salt: number): [number, number] | null => {
    if (bootstrap.resamples <= 0) return null;
    const result = bootstrapPercentileInterval(n, statistic, { seed: bootstrap.seed + salt, resamples: bootstrap.resamples });
    return result === null ? null : [result.lo, result.hi];
  };
  const histogramClean = predictionHistogram(Array.from(p.clean), p.numClasses);
  const histogramTriggered = predictionHistogram(Array.from(p.triggered), p.numClasses);
  const topTriggered = topClassShare(histogramTriggered);
  return {
    cleanAccuracy: accuracyOf(p.labels, p.clean),
    cleanAccuracyCi95: interval((items) => accuracyOf(p.labels, p.clean, items), 0),
    asr: asr.rate,
    asrDenominator: asr.denominator,
    asrCi95: interval((items) => attackSuccessRate(p.labels, p.clean, p.triggered, items).rate, 1),
    targetedAsr: targeted?.rate ?? null,
    targetedAsrDenominator: targeted?.denominator ?? null,
    histogramClean,
    histogramTriggered,
    totalVariation: totalVariationDistance(histogramClean, histogramTriggered),
    entropyClean: entropyNats(histogramClean),
    entropyTriggered: entropyNats(histogramTriggered),
    topClassShareClean: topClassShare(histogramClean).share,
    topClassShareTriggered: topTriggered.share,
    topClassTriggered: topTriggered.classIndex,
  };
}

function checkLengths(a: ArrayLike<number>, b: ArrayLike<number>, c: ArrayLike<number>): void {
  if (a.length !== b.length || a.length !== c.length) throw new RangeError(`prediction arrays differ in length: ${a.length}, ${b.length}, ${c.length}`);
}
