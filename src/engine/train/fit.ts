import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { AugmentOptions } from '../data/augment';
import type { PixelTransform } from '../data/batches';
import type { Dataset } from '../data/dataset';
import { stratifiedSplit } from '../data/split';
import { analyzeBlocks, type Block } from '../model/blocks';
import type { LoadedModel } from '../model/meta';
import { changedBlocks, frozenWeightHashes } from '../model/model-hash';
import { splitAtBlock } from '../model/split';
import { inferenceOutput } from '../outputs';
import { AuditError, throwIfCancelled } from '../util/errors';
import { DatasetSource } from './dataset-source';
import type { Recipe } from './recipe';
import { type BatchSource, TensorSource } from './source';
import { train, type TrainProgress, type TrainResult } from './trainer';

/** What `fitModel` decided about frozen-prefix caching, and what it cost. */
export interface PrefixCacheReport {
  used: boolean;
  /** Why it was or was not used. */
  reason: string;
  /** Blocks whose activations were cached. */
  blocks: string[];
  /** Seconds spent computing the cached activations. */
  seconds: number;
  bytes: number;
}

export interface FitOptions {
  /** The model to train, trainable flags and BatchNorm policy already applied (deriveChild, buildScratch, asFoundation). */
  loaded: LoadedModel;
  train: Dataset;
  /** Sample indices of `train` to train on (default all, minus the validation split when no `val` is given). */
  trainIndices?: readonly number[];
  /** A separate validation set; when absent, `recipe.validationFraction` of the training data is held out (stratified). */
  val?: Dataset;
  recipe: Recipe;
  seed: number;
  /** Applied to every training (and validation) image before augmentation: planted triggers, de-biased targets. */
  transform?: PixelTransform;
  /** Loss weight per training sample index (finetuning-data reweighting). */
  sampleWeights?: Float32Array;
  /** Cache the frozen prefix's activations when that is exact (default true). */
  cachePrefix?: boolean;
  /** Byte budget for cached activations (default 1.5 GiB); over it, training runs uncached. */
  cacheBudgetBytes?: number;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  /** Reports progress of the prefix-caching pass (images done / total). */
  onCacheProgress?: (done: number, total: number) => void;
  checkpointDir?: string;
  resume?: boolean;
  runKey?: unknown;
  log?: (line: string) => void;
}

export interface FitResult {
  training: TrainResult;
  prefixCache: PrefixCacheReport;
  /** Frozen blocks whose weights were checked unchanged after training (empty when none are frozen). */
  verifiedFrozenBlocks: string[];
  trainCount: number;
  valCount: number;
}

/**
 * Trains a foundation, a child or a scratch model on a dataset with a recipe: validation split, the
 * frozen-prefix cache when it is exact, checkpoints and resume, and the proof that frozen blocks did not
 * change. The recipe is recorded in the model's lineage.
 */
export async function fitModel(options: FitOptions): Promise<FitResult> {
  const { loaded, recipe } = options;
  const { meta, model } = loaded;
  const log = options.log ?? (() => undefined);
  const numClasses = meta.classNames.length;
  if (options.train.classNames.length !== numClasses) {
    throw new AuditError(
      `the model has ${numClasses} classes (${meta.classNames.slice(0, 5).join(', ')}${numClasses > 5 ? ', ...' : ''}) but the data has ${options.train.classNames.length}; filter the data's classes or derive a child with a new head`,
      { file: options.train.specString, code: 'CLASS_MISMATCH' },
    );
  }
  if (options.val && options.val.classNames.length !== numClasses) {
    throw new AuditError(`the validation data has ${options.val.classNames.length} classes, the model ${numClasses}`, { file: options.val.specString, code: 'CLASS_MISMATCH' });
  }
  const pool = options.trainIndices ?? options.train.samples.map((s) => s.index);
  let trainIndices: readonly number[] = pool;
  let valIndices: readonly number[] | undefined;
  if (!options.val && recipe.validationFraction > 0) {
    const split = stratifiedSplit(options.train.samples, { validationFraction: recipe.validationFraction, seed: options.seed, indices: pool });
    trainIndices = split.train;
    valIndices = split.validation;
  }
  if (trainIndices.length === 0) throw new AuditError('no training images left after the validation split', { file: options.train.specString, code: 'EMPTY_DATA' });

  const augment: AugmentOptions | undefined = recipe.augment
    ? { ...(recipe.augment.randomCropPadding > 0 ? { randomCrop: { padding: recipe.augment.randomCropPadding } } : {}), horizontalFlip: recipe.augment.horizontalFlip }
    : undefined;
  const common = { inputShape: meta.inputShape, normalization: meta.normalization, seed: options.seed, transform: options.transform, signal: options.signal };
  const trainSource = new DatasetSource(options.train, { ...common, indices: trainIndices, batchSize: recipe.batchSize, augment, sampleWeights: options.sampleWeights });
  const valSource = options.val
    ? new DatasetSource(options.val, { ...common, batchSize: recipe.batchSize })
    : valIndices && valIndices.length > 0 ? new DatasetSource(options.train, { ...common, indices: valIndices, batchSize: recipe.batchSize }) : undefined;

  const analysis = analyzeBlocks(model, meta);
  const depth = meta.lineage?.freezeDepth ?? 0;
  const hashesBefore = depth > 0 ? frozenWeightHashes(model, analysis.blocks, depth) : {};
  const recorded = meta.frozenWeightHashes ?? {};
  const drifted = changedBlocks(recorded, hashesBefore);
  if (drifted.length > 0) {
    throw new AuditError(`frozen blocks ${drifted.join(', ')} differ from the hashes recorded when they were frozen: the checkpoint was modified after derivation`, { file: loaded.path || undefined, code: 'FROZEN_CHANGED' });
  }

  const plan = prefixCachePlan(loaded, analysis.blocks, depth, augment !== undefined, options.cachePrefix ?? true);
  let prefixCache: PrefixCacheReport = { used: false, reason: plan.reason, blocks: [], seconds: 0, bytes: 0 };
  let stepModel: tfl.LayersModel = model;
  let cachedTrain: TensorSource | undefined;
  let cachedVal: TensorSource | undefined;
  let split: ReturnType<typeof splitAtBlock> | undefined;
  try {
    if (plan.eligible) {
      split = splitAtBlock(model, analysis.blocks, depth);
      const perImage = (split.prefix.outputs[0].shape.slice(1) as number[]).reduce((a, b) => a * b, 1) * 4;
      const bytes = perImage * (trainSource.size + (valSource?.size ?? 0));
      const budget = options.cacheBudgetBytes ?? 1.5 * 1024 ** 3;
      if (bytes > budget) {
        prefixCache = { ...prefixCache, reason: `the cached activations would take ${(bytes / 2 ** 20).toFixed(0)} MiB, over the ${(budget / 2 ** 20).toFixed(0)} MiB budget` };
      } else {
        const started = Date.now();
        const total = trainSource.size + (valSource?.size ?? 0);
        let done = 0;
        const progress = (n: number): void => {
          done += n;
          options.onCacheProgress?.(done, total);
        };
        cachedTrain = await cacheActivations(split.prefix, trainSource, recipe.batchSize, options.seed, options.sampleWeights, options.signal, progress);
        cachedVal = valSource ? await cacheActivations(split.prefix, valSource, recipe.batchSize, options.seed, undefined, options.signal, progress) : undefined;
        stepModel = split.suffix;
        const blocks = analysis.blocks.slice(0, depth).map((b) => b.name);
        prefixCache = { used: true, reason: plan.reason, blocks, seconds: (Date.now() - started) / 1000, bytes };
        log(`cached the activations of frozen blocks ${blocks.join(', ')} (${(bytes / 2 ** 20).toFixed(1)} MiB, ${prefixCache.seconds.toFixed(1)} s)`);
      }
    }
    if (!prefixCache.used) log(`frozen-prefix cache not used: ${prefixCache.reason}`);

    const training = await train({
      model, stepModel, train: cachedTrain ?? trainSource, val: cachedVal ?? valSource, numClasses, recipe, seed: options.seed,
      signal: options.signal, onProgress: options.onProgress, checkpointDir: options.checkpointDir, resume: options.resume, runKey: options.runKey, log,
    });

    const hashesAfter = depth > 0 ? frozenWeightHashes(model, analysis.blocks, depth) : {};
    const changed = changedBlocks(hashesBefore, hashesAfter);
    if (changed.length > 0) {
      throw new AuditError(`frozen blocks ${changed.join(', ')} changed during training; this is a bug in the trainer, please report it`, { code: 'FROZEN_CHANGED' });
    }
    meta.lineage = { ...(meta.lineage ?? { role: 'foundation', freezeDepth: 0, frozenBlocks: [], frozenLayers: [], bnPolicy: 'frozen', headReplaced: false, seed: options.seed }), recipe: { ...recipe } };
    if (depth > 0) meta.frozenWeightHashes = hashesAfter;
    return { training, prefixCache, verifiedFrozenBlocks: Object.keys(hashesAfter), trainCount: trainSource.size, valCount: valSource?.size ?? 0 };
  } finally {
    cachedTrain?.dispose();
    cachedVal?.dispose();
    split?.prefix.dispose();
    split?.suffix.dispose();
  }
}

/**
 * Whether training can run on cached activations of the frozen prefix and give exactly the same result as
 * running the whole model: the prefix must be deterministic in training mode (no augmentation of its input,
 * BatchNorm in inference mode, no dropout or noise layers).
 */
export function prefixCachePlan(loaded: LoadedModel, blocks: Block[], depth: number, augmenting: boolean, wanted: boolean): { eligible: boolean; reason: string } {
  if (!wanted) return { eligible: false, reason: 'disabled' };
  if (depth === 0) return { eligible: false, reason: 'no block is frozen' };
  if (augmenting) return { eligible: false, reason: 'augmentation changes the frozen blocks\' input every epoch' };
  const frozenLayers = blocks.slice(0, depth).flatMap((b) => b.layers).map((name) => loaded.model.getLayer(name));
  const random = frozenLayers.find((l) => /Dropout|Noise/.test(l.getClassName()));
  if (random) return { eligible: false, reason: `frozen layer ${random.name} (${random.getClassName()}) is random in training mode` };
  if (loaded.meta.lineage?.bnPolicy === 'train' && frozenLayers.some((l) => l.getClassName() === 'BatchNormalization')) {
    return { eligible: false, reason: 'BatchNorm statistics in the frozen blocks update during training (policy "train")' };
  }
  return { eligible: true, reason: `blocks 1..${depth} are frozen and deterministic` };
}

/** Runs `prefix` over a whole source once (in order) and keeps the activations in memory. */
async function cacheActivations(
  prefix: tfl.LayersModel,
  source: DatasetSource,
  batchSize: number,
  seed: number,
  sampleWeights: Float32Array | undefined,
  signal: AbortSignal | undefined,
  progress: (n: number) => void,
): Promise<TensorSource> {
  const featureShape = prefix.outputs[0].shape.slice(1) as number[];
  const perImage = featureShape.reduce((a, b) => a * b, 1);
  const features = new Float32Array(source.size * perImage);
  const labels = new Int32Array(source.size);
  for await (const { x, y, w, indices } of source.epoch(0, false)) {
    try {
      throwIfCancelled(signal);
      const out = inferenceOutput(prefix, x);
      const [values, ys] = await Promise.all([out.data() as Promise<Float32Array>, y.data()]);
      out.dispose();
      indices.forEach((pos, row) => {
        features.set(values.subarray(row * perImage, (row + 1) * perImage), pos * perImage);
        labels[pos] = ys[row];
      });
      progress(indices.length);
    } finally {
      x.dispose();
      y.dispose();
      w?.dispose();
    }
  }
  const weights = sampleWeights ? Float32Array.from({ length: source.size }, (_, pos) => sampleWeights[source.sampleIndexAt(pos)]) : undefined;
  return new TensorSource(tf.tensor(features, [source.size, ...featureShape]), labels, batchSize, seed, weights);
}

/** A `BatchSource` for evaluation over a dataset with a model's input shape and normalisation. */
export function evaluationSource(loaded: LoadedModel, data: Dataset, options: { batchSize?: number; indices?: readonly number[]; transform?: PixelTransform; signal?: AbortSignal } = {}): BatchSource {
  return new DatasetSource(data, {
    batchSize: options.batchSize ?? 64, inputShape: loaded.meta.inputShape, normalization: loaded.meta.normalization, seed: 0,
    indices: options.indices, transform: options.transform, signal: options.signal,
  });
}
