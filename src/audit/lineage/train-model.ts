import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PixelTransform } from '../../engine/data/batches';
import type { Dataset } from '../../engine/data/dataset';
import { buildScratch, deriveChild } from '../../engine/model/child';
import type { LoadedModel } from '../../engine/model/meta';
import { modelHash } from '../../engine/model/model-hash';
import { saveModel } from '../../engine/model/save';
import { fitModel, type PrefixCacheReport } from '../../engine/train/fit';
import type { Recipe } from '../../engine/train/recipe';
import type { EpochRecord, TrainProgress } from '../../engine/train/trainer';
import type { PlannedModel, SourceModel } from './model-plan';

/** What a training step records (steps/<key>.json `result`): enough to rebuild results.json without retraining. */
export interface TrainStepResult {
  modelId: string;
  /** The checkpoint, relative to the run folder. */
  checkpoint: string;
  modelHash: string;
  history: EpochRecord[];
  bestEpoch: number;
  bestValAccuracy: number | null;
  /** Epoch the training resumed from after an interruption (0: trained in one go). */
  resumedFromEpoch: number;
  trainedSeconds: number;
  prefixCache: PrefixCacheReport;
  verifiedFrozenBlocks: string[];
  trainCount: number;
  valCount: number;
}

export interface TrainModelOptions {
  runDir: string;
  /** The foundation: the scratch baseline takes its architecture and normalisation. */
  foundation: SourceModel;
  /** The source a child derives from (null for scratch). */
  parent: SourceModel | null;
  train: Dataset;
  validation: Dataset | null;
  /** Key of the training step: checkpoints of another key are never resumed. */
  stepKey: string;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  onCacheProgress?: (done: number, total: number) => void;
  log: (line: string) => void;
}

export const MODELS_DIR = 'models';
export const WORK_DIR = 'work';

/**
 * Derives (or builds, for scratch) one model, trains it with `fitModel` and saves it to `models/<id>/`. Epoch
 * checkpoints go to `work/<id>.<key>/` and are resumed after a kill (same step key only); they are removed once the
 * model is saved. The returned model is the caller's to dispose.
 */
export async function trainPlannedModel(planned: PlannedModel, options: TrainModelOptions): Promise<{ loaded: LoadedModel; result: TrainStepResult }> {
  const classNames = [...options.train.classNames];
  if (planned.recipe === null || planned.seed === null) throw new Error(`model ${planned.id} has no recipe or seed to train with`);
  let loaded: LoadedModel;
  if (planned.role === 'scratch') {
    loaded = await buildScratch(options.foundation.loaded, { classNames, seed: planned.seed });
  } else {
    if (options.parent === null || planned.freezeSpec === null) throw new Error(`child ${planned.id} has no parent`);
    loaded = await deriveChild(options.parent.loaded, {
      classNames, freezeDepth: planned.freezeSpec, keepHead: planned.keepHead, bnPolicy: planned.bnPolicy ?? 'frozen', seed: planned.seed,
    });
  }
  try {
    // One folder per step key: a checkpoint written under another config is never resumed (nor in the way).
    const checkpointDir = join(options.runDir, WORK_DIR, `${planned.id}.${options.stepKey.slice(0, 12)}`);
    const fit = await fitModel({
      loaded, train: options.train, ...(options.validation ? { val: options.validation } : {}), recipe: planned.recipe, seed: planned.seed,
      transform: planned.variant?.transform, sampleWeights: planned.variant?.sampleWeights, trainIndices: planned.variant?.trainIndices,
      cachePrefix: planned.cachePrefix, signal: options.signal, onProgress: options.onProgress, onCacheProgress: options.onCacheProgress,
      checkpointDir, resume: true, runKey: options.stepKey, log: options.log,
    });
    const checkpoint = `${MODELS_DIR}/${planned.id}`;
    await saveModel(loaded, join(options.runDir, checkpoint));
    await rm(checkpointDir, { recursive: true, force: true });
    return {
      loaded,
      result: {
        modelId: planned.id, checkpoint: `${checkpoint}/model.json`, modelHash: modelHash(loaded.model), history: fit.training.history,
        bestEpoch: fit.training.bestEpoch, bestValAccuracy: fit.training.bestValAccuracy, resumedFromEpoch: fit.training.startEpoch,
        trainedSeconds: fit.training.trainedSeconds, prefixCache: fit.prefixCache, verifiedFrozenBlocks: fit.verifiedFrozenBlocks,
        trainCount: fit.trainCount, valCount: fit.valCount,
      },
    };
  } catch (e) {
    loaded.model.dispose();
    throw e;
  }
}

/** How the run pretrains a planted-bias source. */
export interface SourcePretraining {
  id: string;
  data: Dataset;
  recipe: Recipe;
  seed: number;
  transform?: PixelTransform;
}

/**
 * Pretrains a source model (planted-bias experiment): the foundation's architecture from a fresh initialisation,
 * trained on the source data (with the planted trigger as `transform`), saved to `models/source-<id>/`. Epoch
 * checkpoints and resume as for children.
 */
export async function pretrainSource(source: SourcePretraining, options: Omit<TrainModelOptions, 'train' | 'validation' | 'parent'>): Promise<{ loaded: LoadedModel; result: TrainStepResult }> {
  const loaded = await buildScratch(options.foundation.loaded, { classNames: [...source.data.classNames], seed: source.seed });
  if (loaded.meta.lineage) loaded.meta.lineage = { ...loaded.meta.lineage, role: 'foundation' };
  const modelId = `source-${source.id}`;
  try {
    const checkpointDir = join(options.runDir, WORK_DIR, `${modelId}.${options.stepKey.slice(0, 12)}`);
    const fit = await fitModel({
      loaded, train: source.data, recipe: source.recipe, seed: source.seed, transform: source.transform, cachePrefix: false,
      signal: options.signal, onProgress: options.onProgress, checkpointDir, resume: true, runKey: options.stepKey, log: options.log,
    });
    const checkpoint = `${MODELS_DIR}/${modelId}`;
    await saveModel(loaded, join(options.runDir, checkpoint));
    await rm(checkpointDir, { recursive: true, force: true });
    return {
      loaded,
      result: {
        modelId, checkpoint: `${checkpoint}/model.json`, modelHash: modelHash(loaded.model), history: fit.training.history, bestEpoch: fit.training.bestEpoch,
        bestValAccuracy: fit.training.bestValAccuracy, resumedFromEpoch: fit.training.startEpoch, trainedSeconds: fit.training.trainedSeconds,
        prefixCache: fit.prefixCache, verifiedFrozenBlocks: fit.verifiedFrozenBlocks, trainCount: fit.trainCount, valCount: fit.valCount,
      },
    };
  } catch (e) {
    loaded.model.dispose();
    throw e;
  }
}
