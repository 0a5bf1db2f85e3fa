import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import type { Dataset } from '../../engine/data/dataset';
import { argMax } from '../../engine/eval';
import { logits } from '../../engine/outputs';
import { AuditError, throwIfCancelled } from '../../engine/util/errors';
import type { StimuliModelResult } from '../../protocol/results';
import type { AuditModelRef, ProbeContext } from '../context';
import type { StimulusSetStep } from './generate';
import { classCentroids, labelCounts, labelMode, outperformsCentroid, ownTargetHits } from './metrics';
import { normalizePixels } from './model-input';
import type { ClassMapping } from './params';
import { loadStimulusPixels } from './png';

const SCORING_BATCH = 16;

/** What scoring a stimulus set on one model needs besides the model. */
export interface StimuliScoringInput {
  stimulusSet: StimulusSetStep;
  /** The folder the stimuli's `image` paths are relative to (the run folder). */
  runDir: string;
  /** The target training data the model was finetuned on: its class-t images give the centroid c_t. */
  targetTrain: Dataset;
  /** From validateStrongStimuliParams. */
  mapping: ClassMapping;
}

/**
 * Step 2 of the strong-stimuli probe, once per child and scratch model: p = softmax(M(stimulus)) for every
 * saved stimulus, its predicted label, the label-mode table, and (with a class mapping) the centroid rule
 * ||p - e_t|| < ||c_t - e_t|| with c_t the mean softmax over M's training images of class t (from
 * ctx.predict, shared with other probes) and the own-target hits. Plain JSON out.
 *
 * @throws AuditError (CLASS_MISMATCH) when the training data's classes are not the model's.
 */
export async function scoreStimuliOnModel(ctx: ProbeContext, model: AuditModelRef, input: StimuliScoringInput): Promise<StimuliModelResult> {
  const { stimulusSet, mapping } = input;
  const meta = model.loaded.meta;
  const classNames = meta.classNames;
  const probabilities = await stimulusProbabilities(model, stimulusSet, input.runDir, ctx.signal);
  const k = classNames.length;
  const rows = stimulusSet.stimuli.map((_, i) => probabilities.subarray(i * k, (i + 1) * k));
  const predictedLabels = rows.map((row) => argMax(row));
  const base = { modelId: model.id, predictedLabels, labelMode: labelMode(predictedLabels, classNames), labelCounts: labelCounts(predictedLabels, classNames) };
  if (mapping.kind === 'none') {
    return { ...base, outperforms: null, stimulusDistance: null, centroidDistance: null, outperformingCount: null, ownTargetHits: null };
  }

  const data = input.targetTrain;
  if (data.classNames.length !== k) {
    throw new AuditError(`model ${model.id} has ${k} classes but the target training data has ${data.classNames.length}; the centroids need the model's classes`, { file: data.specString, code: 'CLASS_MISMATCH' });
  }
  ctx.log(`strong stimuli: centroids of ${model.id} over ${data.samples.length} training images`);
  const predictions = await ctx.predict(model, data);
  const centroids = classCentroids(predictions.probabilities, predictions.labels, predictions.numClasses);
  const targets = stimulusSet.stimuli.map((s) => {
    const target = mapping.targetOf[s.foundationClass];
    if (target === null || target === undefined) throw new Error(`stimulus of foundation class ${s.foundationClass} has no mapped target class (validateStrongStimuliParams lets none through)`);
    return target;
  });
  const outcomes = targets.map((target, i) => {
    const centroid = centroids[target];
    if (centroid === null) {
      throw new AuditError(`target class ${target} ('${classNames[target]}') has no training image, so its centroid is undefined`, { file: data.specString, code: 'BAD_DATA' });
    }
    return outperformsCentroid(rows[i], centroid, target);
  });
  const outperforms = outcomes.map((o) => o.outperforms);
  return {
    ...base,
    outperforms,
    stimulusDistance: outcomes.map((o) => o.stimulusDistance),
    centroidDistance: outcomes.map((o) => o.centroidDistance),
    outperformingCount: outperforms.filter(Boolean).length,
    ownTargetHits: ownTargetHits(predictedLabels, targets),
  };
}

/** Softmax outputs of the model on the saved 8-bit stimuli, row-major [stimuli, classes]. */
async function stimulusProbabilities(model: AuditModelRef, set: StimulusSetStep, runDir: string, signal: AbortSignal | undefined): Promise<Float32Array> {
  const [height, width, channels] = model.loaded.meta.inputShape;
  if (channels !== 1 && channels !== 3) throw new AuditError(`model ${model.id} takes ${channels}-channel inputs; stimuli are scored on 1- or 3-channel models`, { code: 'BAD_CHECKPOINT' });
  const perImage = height * width * channels;
  const pixels = new Float32Array(set.stimuli.length * perImage);
  for (let i = 0; i < set.stimuli.length; i++) {
    throwIfCancelled(signal);
    pixels.set(await loadStimulusPixels(join(runDir, set.stimuli[i].image), height, width, channels), i * perImage);
  }
  const k = model.loaded.meta.classNames.length;
  const out = new Float32Array(set.stimuli.length * k);
  // Chunks keep a large model's activations for many stimuli (102 classes x 224 px) within memory.
  for (let start = 0; start < set.stimuli.length; start += SCORING_BATCH) {
    const n = Math.min(SCORING_BATCH, set.stimuli.length - start);
    const probabilities = tf.tidy(() => {
      const x = tf.tensor4d(pixels.subarray(start * perImage, (start + n) * perImage), [n, height, width, channels]);
      return tf.softmax(logits(model.loaded.model, normalizePixels(x, model.loaded.meta.normalization), false));
    });
    out.set(await probabilities.data(), start * k);
    probabilities.dispose();
  }
  return out;
}
