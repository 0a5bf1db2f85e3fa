import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { join } from 'node:path';
import { nativeGraphFor } from '../backend/native-graph';
import { logits as modelLogits } from '../outputs';
import { AuditError, throwIfCancelled } from '../util/errors';
import { hashJson } from '../util/hash';
import { loadCheckpoint, readCheckpointState, saveCheckpoint } from './checkpoint';
import { createOptimizer, type Param } from './optimizer';
import { optimizerConfigOf, type Recipe, scheduleOf } from './recipe';
import { learningRateAt } from './schedule';
import { batchCount, type BatchSource } from './source';

/** One record per finished epoch. */
export interface EpochRecord {
  epoch: number;
  learningRate: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
  seconds: number;
  imagesPerSecond: number;
}

/** Emitted after every batch and at the end of every epoch. */
export interface TrainProgress {
  phase: 'batch' | 'epoch';
  /** 0-based epoch. */
  epoch: number;
  epochs: number;
  /** 1-based batch within the epoch. */
  batch: number;
  batches: number;
  /** Running mean over the epoch so far. */
  loss: number;
  accuracy: number;
  learningRate: number;
  imagesPerSecond: number;
  /** Seconds left for the whole training, estimated from the speed so far. */
  etaSeconds: number;
  /** Set on 'epoch' events. */
  record?: EpochRecord;
}

export interface TrainOptions {
  /** The model whose weights are checkpointed and returned (frozen flags already set). */
  model: tfl.LayersModel;
  /**
   * The model the training step runs: `model` itself, or the suffix after a cached frozen prefix
   * (sharing `model`'s layers, so training it trains `model`).
   */
  stepModel?: tfl.LayersModel;
  train: BatchSource;
  val?: BatchSource;
  numClasses: number;
  recipe: Recipe;
  seed: number;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  /** Where to write `last/` (every epoch) and `best/` checkpoints; none when omitted. */
  checkpointDir?: string;
  /** Continue from `checkpointDir/last` when it exists (and was written by the same recipe and seed). */
  resume?: boolean;
  /** Extra identity mixed into the checkpoint key (e.g. the parent model's hash), so --resume refuses another run's checkpoint. */
  runKey?: unknown;
  log?: (line: string) => void;
}

export interface TrainResult {
  history: EpochRecord[];
  /** Epoch (0-based) whose weights the model holds at the end. */
  bestEpoch: number;
  bestValAccuracy: number | null;
  /** Epoch training resumed from (the first epoch run in this process), 0 for a fresh run. */
  startEpoch: number;
  trainedSeconds: number;
}

interface CheckpointState {
  key: string;
  epoch: number;
  optimizerStep: number;
  history: EpochRecord[];
  bestEpoch: number;
  bestValAccuracy: number | null;
}

/**
 * Trains `model` with the recipe: per-step learning-rate schedule, validation each epoch, best-epoch
 * keeping, an atomic checkpoint every epoch, resume, progress events and cancellation between batches.
 * Throws `AuditError` (code NAN_LOSS) when the loss stops being finite and `CancelledError` when the signal
 * fires; both leave the last epoch checkpoint in place for `resume`.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { model, recipe, numClasses, signal } = options;
  const stepModel = options.stepModel ?? model;
  const log = options.log ?? (() => undefined);
  const optimizer = createOptimizer(optimizerConfigOf(recipe));
  const schedule = scheduleOf(recipe);
  const params: Param[] = stepModel.trainableWeights.map((w) => ({ key: w.originalName, variable: w.read() as tf.Variable }));
  if (params.length === 0) throw new AuditError('nothing to train: every layer of the model is frozen', { code: 'NOTHING_TO_TRAIN' });
  const key = hashJson({ recipe, seed: options.seed, numClasses, trainSize: options.train.size, runKey: options.runKey ?? null });
  const lastDir = options.checkpointDir ? join(options.checkpointDir, 'last') : undefined;
  const bestDir = options.checkpointDir ? join(options.checkpointDir, 'best') : undefined;

  let history: EpochRecord[] = [];
  let bestEpoch = -1;
  let bestValAccuracy: number | null = null;
  let startEpoch = 0;
  let bestWeights: tf.Tensor[] | undefined;

  try {
    if (options.resume && lastDir) {
      const state = await readCheckpointState<CheckpointState>(lastDir);
      if (state !== undefined) {
        if (state.key !== key) {
          throw new AuditError('the checkpoint here was written by a different training run (recipe, seed or data differ); delete it or run without --resume', { file: lastDir, code: 'CHECKPOINT_MISMATCH' });
        }
        const { slots } = await loadCheckpoint<CheckpointState>(lastDir, model);
        optimizer.restore(state.optimizerStep, slots);
        history = state.history;
        bestEpoch = state.bestEpoch;
        bestValAccuracy = state.bestValAccuracy;
        startEpoch = state.epoch + 1;
        log(`resuming from the checkpoint of epoch ${state.epoch + 1}/${recipe.epochs}`);
      }
    }

    const batches = batchCount(options.train);
    const totalSteps = recipe.epochs * batches;
    const started = Date.now();
    let imagesThisRun = 0;
    for (let epoch = startEpoch; epoch < recipe.epochs; epoch++) {
      const epochStart = Date.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let batch = 0;
      let lr = 0;
      for await (const { x, y, w } of options.train.epoch(epoch, true)) {
        try {
          throwIfCancelled(signal);
          lr = learningRateAt(schedule, recipe.learningRate, epoch + batch / batches, recipe.epochs);
          const n = y.shape[0];
          const { lossValue, correctValue } = await trainStep(stepModel, params, optimizer, x, y, w, numClasses, lr);
          if (!Number.isFinite(lossValue)) {
            throw new AuditError(`the training loss became ${lossValue} at epoch ${epoch + 1}, batch ${batch + 1} (learning rate ${lr.toPrecision(3)}); lower the learning rate`, { code: 'NAN_LOSS' });
          }
          batch++;
          seen += n;
          imagesThisRun += n;
          lossSum += lossValue * n;
          correct += correctValue;
          const elapsed = (Date.now() - started) / 1000;
          const stepsDone = (epoch - startEpoch) * batches + batch;
          const stepsLeft = totalSteps - epoch * batches - batch;
          options.onProgress?.({
            phase: 'batch', epoch, epochs: recipe.epochs, batch, batches, loss: lossSum / seen, accuracy: correct / seen, learningRate: lr,
            imagesPerSecond: imagesThisRun / Math.max(elapsed, 1e-3), etaSeconds: (elapsed / stepsDone) * stepsLeft,
          });
        } finally {
          x.dispose();
          y.dispose();
          w?.dispose();
        }
      }
      throwIfCancelled(signal);
      const val = options.val ? await evaluateLoss(stepModel, options.val, numClasses, signal) : null;
      const seconds = (Date.now() - epochStart) / 1000;
      const record: EpochRecord = {
        epoch, learningRate: lr, trainLoss: lossSum / Math.max(seen, 1), trainAccuracy: correct / Math.max(seen, 1),
        valLoss: val?.loss ?? null, valAccuracy: val?.accuracy ?? null, seconds, imagesPerSecond: seen / Math.max(seconds, 1e-3),
      };
      history.push(record);
      if (record.valAccuracy === null || !recipe.keepBest) {
        bestEpoch = epoch;
        bestValAccuracy = record.valAccuracy;
      } else if (bestValAccuracy === null || record.valAccuracy > bestValAccuracy) {
        bestEpoch = epoch;
        bestValAccuracy = record.valAccuracy;
        bestWeights?.forEach((t) => t.dispose());
        bestWeights = model.weights.map((w) => tf.clone(w.read()));
        if (bestDir) await saveCheckpoint(bestDir, model, [], { epoch });
      }
      if (lastDir) {
        const state: CheckpointState = { key, epoch, optimizerStep: optimizer.state().step, history, bestEpoch, bestValAccuracy };
        await saveCheckpoint(lastDir, model, optimizer.state().slots, state);
      }
      const elapsed = (Date.now() - started) / 1000;
      const stepsDone = (epoch + 1 - startEpoch) * batches;
      options.onProgress?.({
        phase: 'epoch', epoch, epochs: recipe.epochs, batch: batches, batches, loss: record.trainLoss, accuracy: record.trainAccuracy, learningRate: lr,
        imagesPerSecond: imagesThisRun / Math.max(elapsed, 1e-3), etaSeconds: (elapsed / stepsDone) * (totalSteps - (epoch + 1) * batches), record,
      });
      log(`epoch ${epoch + 1}/${recipe.epochs}: loss ${record.trainLoss.toFixed(4)}, train acc ${(record.trainAccuracy * 100).toFixed(1)}%` +
        (record.valAccuracy !== null ? `, val acc ${(record.valAccuracy * 100).toFixed(1)}%` : '') + `, ${record.imagesPerSecond.toFixed(0)} img/s`);
    }

    const keptBest = recipe.keepBest && bestValAccuracy !== null;
    if (keptBest && bestWeights !== undefined) {
      model.weights.forEach((w, i) => w.write(bestWeights![i]));
    } else if (keptBest && bestDir) {
      // Resumed after the best epoch: its weights are on disk only.
      const { slots } = await loadCheckpoint(bestDir, model);
      slots.forEach((t) => t.dispose());
    }
    return { history, bestEpoch, bestValAccuracy, startEpoch, trainedSeconds: (Date.now() - started) / 1000 };
  } finally {
    bestWeights?.forEach((t) => t.dispose());
    optimizer.dispose();
  }
}

/**
 * One optimisation step on a batch: loss, gradients, the optimizer's update. On the native backend a model
 * whose layers native-graph.ts supports runs its forward and backward pass there, off the tfjs engine
 * (the same loss and gradients up to float rounding, several times fewer dispatches); otherwise through
 * tf.variableGrads. Returns the batch's loss and how many rows it classified right.
 */
export async function trainStep(
  stepModel: tfl.LayersModel,
  params: Param[],
  optimizer: ReturnType<typeof createOptimizer>,
  x: tf.Tensor,
  y: tf.Tensor1D,
  w: tf.Tensor1D | undefined,
  numClasses: number,
  lr: number,
): Promise<{ lossValue: number; correctValue: number }> {
  const variables = params.map((p) => p.variable);
  const graph = nativeGraphFor(stepModel, x);
  if (graph !== undefined && graph.covers(variables)) {
    const [labels, weights] = await Promise.all([y.data(), w?.data()]);
    const { loss, correct, grads } = graph.trainStep(x, labels, weights, variables);
    try {
      optimizer.apply(params, grads, lr);
    } finally {
      Object.values(grads).forEach((g) => g.dispose());
    }
    return { lossValue: loss, correctValue: correct };
  }
  let correctT: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const z = modelLogits(stepModel, x, true);
    correctT = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(z, 1), y), 'int32')));
    return crossEntropy(z, y, numClasses, w);
  }, variables);
  try {
    optimizer.apply(params, grads, lr);
    const [lossValue] = await value.data();
    const [correctValue] = await correctT!.data();
    return { lossValue, correctValue };
  } finally {
    value.dispose();
    correctT?.dispose();
    Object.values(grads).forEach((g) => g.dispose());
  }
}

/**
 * Softmax cross-entropy of logits (`logits()` gives true logits even for models that end in softmax):
 * the mean, or with per-example weights the weighted mean sum(w l) / sum(w).
 */
function crossEntropy(z: tf.Tensor2D, y: tf.Tensor1D, numClasses: number, w?: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const onehot = tf.oneHot(tf.cast(y, 'int32') as tf.Tensor1D, numClasses);
    if (w === undefined) return tf.losses.softmaxCrossEntropy(onehot, z) as tf.Scalar;
    const perExample = tf.losses.softmaxCrossEntropy(onehot, z, undefined, undefined, tf.Reduction.NONE);
    return tf.div(tf.sum(tf.mul(perExample, w)), tf.maximum(tf.sum(w), 1e-12)) as tf.Scalar;
  });
}

/** Mean loss and accuracy over a source, in inference mode. */
export async function evaluateLoss(
  stepModel: tfl.LayersModel,
  source: BatchSource,
  numClasses: number,
  signal?: AbortSignal,
): Promise<{ loss: number; accuracy: number }> {
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  for await (const { x, y } of source.epoch(0, false)) {
    try {
      throwIfCancelled(signal);
      const [l, c] = tf.tidy(() => {
        const z = modelLogits(stepModel, x, false);
        return [crossEntropy(z, y, numClasses), tf.sum(tf.cast(tf.equal(tf.argMax(z, 1), y), 'int32'))];
      });
      const n = y.shape[0];
      lossSum += (await l.data())[0] * n;
      correct += (await c.data())[0];
      seen += n;
      l.dispose();
      c.dispose();
    } finally {
      x.dispose();
      y.dispose();
    }
  }
  return { loss: lossSum / Math.max(seen, 1), accuracy: correct / Math.max(seen, 1) };
}
