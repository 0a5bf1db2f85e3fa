import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { logits } from './outputs';
import type { BatchSource } from './train/source';
import { AuditError, throwIfCancelled } from './util/errors';

/** Softmax outputs and predictions for every example of a source, in source order. */
export interface Predictions {
  numClasses: number;
  /** Row-major [N, numClasses] softmax probabilities. */
  probabilities: Float32Array;
  predicted: Int32Array;
  labels: Int32Array;
}

/**
 * Runs the model in inference mode over a whole source. Memory holds one batch of tensors at a time plus
 * the probability matrix.
 */
export async function predict(
  model: tfl.LayersModel,
  source: BatchSource,
  options: { signal?: AbortSignal; onBatch?: (done: number, total: number) => void } = {},
): Promise<Predictions> {
  const numClasses = (model.outputs[0].shape[1] ?? 0) as number;
  const probabilities = new Float32Array(source.size * numClasses);
  const predicted = new Int32Array(source.size);
  const labels = new Int32Array(source.size);
  let done = 0;
  for await (const { x, y, indices } of source.epoch(0, false)) {
    try {
      throwIfCancelled(options.signal);
      const p = tf.tidy(() => tf.softmax(logits(model, x, false)));
      const [pv, yv] = await Promise.all([p.data(), y.data()]);
      p.dispose();
      indices.forEach((index, row) => {
        const rowProbs = pv.subarray(row * numClasses, (row + 1) * numClasses);
        probabilities.set(rowProbs, index * numClasses);
        predicted[index] = argMax(rowProbs);
        labels[index] = yv[row];
      });
      done += indices.length;
      options.onBatch?.(done, source.size);
    } finally {
      x.dispose();
      y.dispose();
    }
  }
  return { numClasses, probabilities, predicted, labels };
}

/** Index of the largest value (the first one on ties). */
export function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

export interface PerClassAccuracy {
  classIndex: number;
  className: string;
  count: number;
  correct: number;
  /** null when the class has no examples. */
  accuracy: number | null;
}

export interface AccuracyReport {
  count: number;
  accuracy: number;
  perClass: PerClassAccuracy[];
  /** confusion[true][predicted] counts. */
  confusion: number[][];
}

/** Accuracy, per-class accuracy and the confusion matrix of a set of predictions. */
export function accuracyReport(p: Predictions, classNames: string[]): AccuracyReport {
  const k = p.numClasses;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < p.labels.length; i++) {
    if (p.labels[i] < 0 || p.labels[i] >= k) {
      throw new AuditError(`label ${p.labels[i]} of example ${i} is outside the model's ${k} classes; check the class filter or the class map`, { code: 'CLASS_MISMATCH' });
    }
    confusion[p.labels[i]][p.predicted[i]]++;
    if (p.labels[i] === p.predicted[i]) correct++;
  }
  const perClass = confusion.map((row, c) => {
    const count = row.reduce((a, b) => a + b, 0);
    return { classIndex: c, className: classNames[c] ?? String(c), count, correct: row[c], accuracy: count > 0 ? row[c] / count : null };
  });
  return { count: p.labels.length, accuracy: p.labels.length > 0 ? correct / p.labels.length : 0, perClass, confusion };
}
