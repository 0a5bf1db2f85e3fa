import * as tf from '@tensorflow/tfjs-core';
import { withInputGradientsOnly } from '../../engine/backend/kernels/input-gradients-only';
import { argMax } from '../../engine/eval';
import type { LoadedModel } from '../../engine/model/meta';
import { logits } from '../../engine/outputs';
import { throwIfCancelled } from '../../engine/util/errors';
import { Random, deriveSeed } from '../../engine/util/random';
import { AscentAdam } from './adam';
import { normalizePixels } from './model-input';
import type { ResolvedStrongStimuliParams } from './params';
import { stimulusParameterizer } from './parameterization';
import { l2Penalty, totalVariationPenalty } from './penalties';
import { resample, resamplePlan, sampleTransform } from './random-transform';

/** What the optimisation reports while it runs; a subset of ProbeContext, so the CLI can drive it too. */
export interface StimulusRunContext {
  signal?: AbortSignal;
  log(line: string): void;
  progress(done: number, total: number, detail?: string): void;
}

/** One optimised stimulus, in memory. */
export interface OptimizedStimulus {
  foundationClass: number;
  /** 8-bit pixels [H, W, C] interleaved: exactly what is saved as PNG and scored. */
  pixels: Uint8Array;
  /** The climbed score (logit or log-softmax) of the foundation on the initial, untransformed image. */
  initialScore: number;
  /** The same score on the final 8-bit stimulus, untransformed. */
  finalScore: number;
  /** The foundation's softmax probability of its class on the final 8-bit stimulus. */
  foundationConfidence: number;
  /** The foundation's predicted class on the final 8-bit stimulus. */
  foundationPredicted: number;
}

/**
 * Gradient ascent on the foundation's score for each class in `params.classes`, batched `params.batchSize`
 * classes at a time. Each step draws a fresh random jitter/zoom/rotation per image, resamples the image
 * differentiably, normalises it with the model's normalisation, and climbs
 *   score_t(model(normalise(T(pixels)))) - l2Penalty * L2(pixels) - totalVariationPenalty * TV(pixels)
 * with Adam on the raw parameters (pixels = 255 * sigmoid(basis(raw)) stay valid throughout).
 *
 * Every random number for class t (initial parameters, transforms) comes from streams seeded by
 * (params.seed, t), so a class's stimulus does not depend on which classes share its batch.
 */
export async function optimizeStimuli(ctx: StimulusRunContext, foundation: LoadedModel, params: ResolvedStrongStimuliParams): Promise<OptimizedStimulus[]> {
  const [height, width, channels] = foundation.meta.inputShape;
  const parameterizer = stimulusParameterizer(params.parameterization, [height, width, channels], params.fourierDecayPower);
  const batches: number[][] = [];
  for (let i = 0; i < params.classes.length; i += params.batchSize) batches.push(params.classes.slice(i, i + params.batchSize));
  const totalSteps = params.steps * batches.length;
  const results: OptimizedStimulus[] = [];
  let stepsDone = 0;
  for (const classes of batches) {
    const transformStreams = classes.map((t) => new Random(deriveSeed(params.seed, 'transform', t)));
    let raw = initialParameters(classes, parameterizer.perImage, params);
    const adam = new AscentAdam(raw.shape, params.learningRate);
    try {
      const initialScores = evaluate(foundation, parameterizer.toPixels, raw, classes, params.score).scores;
      for (let step = 0; step < params.steps; step++) {
        throwIfCancelled(ctx.signal);
        const plan = resamplePlan(transformStreams.map((random) => sampleTransform(params, random)), height, width);
        const gradient = withInputGradientsOnly(() =>
          tf.tidy(() =>
            tf.grad((r: tf.Tensor) => {
              const pixels = parameterizer.toPixels(r as tf.Tensor2D);
              const objective = tf.sub(
                tf.sub(classScores(foundation, normalizePixels(resample(pixels, plan), foundation.meta.normalization), classes, params.score), tf.mul(l2Penalty(pixels), params.l2Penalty)),
                tf.mul(totalVariationPenalty(pixels), params.totalVariationPenalty),
              );
              return tf.sum(objective);
            })(raw),
          ),
        );
        const next = adam.ascend(raw, gradient);
        tf.dispose([raw, gradient]);
        raw = next as tf.Tensor2D;
        stepsDone++;
        ctx.progress(stepsDone, totalSteps, `stimuli for classes ${classes[0]}..${classes[classes.length - 1]}`);
        // Yield to the event loop so a cancel (SIGINT, an RPC) can be seen between steps.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const pixels8 = tf.tidy(() => tf.clipByValue(tf.round(parameterizer.toPixels(raw)), 0, 255));
      const values = new Uint8Array(await pixels8.data());
      pixels8.dispose();
      const perImage = height * width * channels;
      const final = evaluateUint8(foundation, values, classes, params.score);
      classes.forEach((t, i) => {
        results.push({
          foundationClass: t,
          pixels: values.slice(i * perImage, (i + 1) * perImage),
          initialScore: initialScores[i],
          finalScore: final.scores[i],
          foundationConfidence: final.confidences[i],
          foundationPredicted: final.predicted[i],
        });
      });
    } finally {
      raw.dispose();
      adam.dispose();
    }
  }
  return results;
}

/** Per row: score_t of the model's logits (or log-softmax) for that row's class. */
function classScores(foundation: LoadedModel, inputs: tf.Tensor4D, classes: readonly number[], score: 'logit' | 'logsoftmax'): tf.Tensor1D {
  const z = logits(foundation.model, inputs, false);
  const s = score === 'logsoftmax' ? tf.logSoftmax(z) : z;
  const mask = tf.oneHot(tf.tensor1d([...classes], 'int32'), z.shape[1]);
  return tf.sum(tf.mul(s, mask), 1) as tf.Tensor1D;
}

/** Raw parameters ~ N(0, initStd²), one seeded stream per class. */
function initialParameters(classes: readonly number[], perImage: number, params: ResolvedStrongStimuliParams): tf.Tensor2D {
  const values = new Float32Array(classes.length * perImage);
  classes.forEach((t, i) => {
    const random = new Random(deriveSeed(params.seed, 'init', t));
    for (let k = 0; k < perImage; k++) values[i * perImage + k] = params.initStd * random.normal();
  });
  return tf.tensor2d(values, [classes.length, perImage]);
}

function evaluate(
  foundation: LoadedModel,
  toPixels: (raw: tf.Tensor2D) => tf.Tensor4D,
  raw: tf.Tensor2D,
  classes: readonly number[],
  score: 'logit' | 'logsoftmax',
): { scores: number[] } {
  const scores = tf.tidy(() => classScores(foundation, normalizePixels(toPixels(raw), foundation.meta.normalization), classes, score));
  const values = Array.from(scores.dataSync());
  scores.dispose();
  return { scores: values };
}

function evaluateUint8(
  foundation: LoadedModel,
  pixels: Uint8Array,
  classes: readonly number[],
  score: 'logit' | 'logsoftmax',
): { scores: number[]; confidences: number[]; predicted: number[] } {
  const [height, width, channels] = foundation.meta.inputShape;
  const [scoreTensor, probabilities] = tf.tidy(() => {
    const x = normalizePixels(tf.tensor4d(Float32Array.from(pixels), [classes.length, height, width, channels]), foundation.meta.normalization);
    return [classScores(foundation, x, classes, score), tf.softmax(logits(foundation.model, x, false))];
  });
  const scores = Array.from(scoreTensor.dataSync());
  const p = probabilities.dataSync();
  const k = probabilities.shape[1] as number;
  tf.dispose([scoreTensor, probabilities]);
  return {
    scores,
    confidences: classes.map((t, i) => p[i * k + t]),
    predicted: classes.map((_, i) => argMax(p.subarray(i * k, (i + 1) * k))),
  };
}
