import type { GroupMetrics } from '../protocol/results';

/**
 * The decision threshold on the positive-class probability that maximises accuracy on validation data
 * (predict positive when score >= threshold). Candidates are 0.5 and the midpoints between consecutive
 * distinct validation scores (plus one below the lowest and one above the highest); among equally accurate
 * candidates the one closest to 0.5 wins, so a model that needs no adjustment keeps the argmax rule.
 * Accuracy rather than an equalising rule: the threshold must not depend on the groups, or it would hide
 * the disparity the probe measures.
 *
 * @param scores the positive-class probability per validation image.
 * @param positives whether each validation image is of the positive class.
 * @throws RangeError for no validation images or mismatched lengths.
 */
export function calibrateThreshold(scores: ArrayLike<number>, positives: ArrayLike<boolean>): number {
  if (scores.length !== positives.length) throw new RangeError(`${scores.length} scores for ${positives.length} labels`);
  if (scores.length === 0) throw new RangeError('no validation images to calibrate the threshold on');
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const distinct = [...new Set(order.map((i) => scores[i]))];
  const candidates = [0.5, distinct[0] - 1e-6, distinct[distinct.length - 1] + 1e-6];
  for (let k = 0; k + 1 < distinct.length; k++) candidates.push((distinct[k] + distinct[k + 1]) / 2);
  let best = 0.5;
  let bestCorrect = -1;
  for (const t of candidates) {
    let correct = 0;
    for (let i = 0; i < scores.length; i++) if ((scores[i] >= t) === positives[i]) correct++;
    if (correct > bestCorrect || (correct === bestCorrect && Math.abs(t - 0.5) < Math.abs(best - 0.5))) {
      best = t;
      bestCorrect = correct;
    }
  }
  return best;
}

/** One model's predictions on the test set with each image's group. */
export interface GroupedPredictions {
  labels: ArrayLike<number>;
  predicted: ArrayLike<number>;
  /** The group (attribute value) of each image. */
  groupOf: readonly string[];
  /** Groups to report, in order (a group without test images is left out: it has no rates). */
  groups: readonly string[];
  /** Binary tasks: the positive class, for TPR and FPR; null otherwise. */
  positiveClass: number | null;
}

/** Per-group accuracy, TPR and FPR, and the gaps (max minus min over the groups where the rate is defined). */
export interface GroupDisparity {
  accuracy: number;
  perGroup: GroupMetrics[];
  accuracyGap: number;
  tprGap: number | null;
  fprGap: number | null;
}

/**
 * Accuracy per group and, for binary tasks, the true-positive rate TPR = TP / (TP + FN) (positives
 * predicted positive) and the false-positive rate FPR = FP / (FP + TN) (negatives predicted positive) per
 * group. A rate whose denominator is 0 in a group is null there and left out of its gap; a gap needs two
 * groups with the rate defined.
 */
export function groupDisparity(p: GroupedPredictions): GroupDisparity {
  const n = p.labels.length;
  if (p.predicted.length !== n || p.groupOf.length !== n) throw new RangeError(`${n} labels, ${p.predicted.length} predictions, ${p.groupOf.length} groups`);
  if (n === 0) throw new RangeError('no test images');
  const stats = new Map(p.groups.map((g) => [g, { n: 0, correct: 0, tp: 0, fn: 0, fp: 0, tn: 0 }]));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const s = stats.get(p.groupOf[i]);
    if (s === undefined) throw new RangeError(`image ${i} is in group "${p.groupOf[i]}", not one of ${p.groups.join(', ')}`);
    const right = p.labels[i] === p.predicted[i];
    s.n++;
    if (right) {
      s.correct++;
      correct++;
    }
    if (p.positiveClass !== null) {
      const actual = p.labels[i] === p.positiveClass;
      const said = p.predicted[i] === p.positiveClass;
      if (actual && said) s.tp++;
      else if (actual) s.fn++;
      else if (said) s.fp++;
      else s.tn++;
    }
  }
  const perGroup: GroupMetrics[] = p.groups.filter((group) => (stats.get(group)?.n ?? 0) > 0).map((group) => {
    const s = stats.get(group) as { n: number; correct: number; tp: number; fn: number; fp: number; tn: number };
    const binary = p.positiveClass !== null;
    return {
      group,
      n: s.n,
      accuracy: s.correct / s.n,
      truePositiveRate: binary && s.tp + s.fn > 0 ? s.tp / (s.tp + s.fn) : null,
      falsePositiveRate: binary && s.fp + s.tn > 0 ? s.fp / (s.fp + s.tn) : null,
    };
  });
  const gap = (values: (number | null)[]): number | null => {
    const defined = values.filter((v): v is number => v !== null);
    return defined.length >= 2 ? Math.max(...defined) - Math.min(...defined) : null;
  };
  if (perGroup.length < 2) throw new RangeError(`the test images fall in ${perGroup.length} group(s); a disparity needs two`);
  return {
    accuracy: correct / n,
    perGroup,
    accuracyGap: gap(perGroup.map((g) => g.accuracy)) as number,
    tprGap: gap(perGroup.map((g) => g.truePositiveRate)),
    fprGap: gap(perGroup.map((g) => g.falsePositiveRate)),
  };
}
