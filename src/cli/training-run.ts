import type { BackendInfo } from '../engine/backend/select';
import type { Dataset } from '../engine/data/dataset';
import type { LoadedModel } from '../engine/model/meta';
import { saveModel } from '../engine/model/save';
import { fitModel, type FitResult } from '../engine/train/fit';
import type { Recipe } from '../engine/train/recipe';
import type { CliContext } from './command';
import { formatSeconds } from './progress';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';

/** What `pretrain`, `finetune` and `scratch` record beside the saved model (training.json) and print with --json. */
export interface TrainingReport {
  command: string;
  out: string;
  backend: BackendInfo;
  recipe: Recipe;
  seed: number;
  data: { train: string; trainCount: number; val: string | null; valCount: number; classNames: readonly string[] };
  history: FitResult['training']['history'];
  bestEpoch: number;
  bestValAccuracy: number | null;
  resumedFromEpoch: number;
  prefixCache: FitResult['prefixCache'];
  verifiedFrozenBlocks: string[];
  trainedSeconds: number;
}

/**
 * Trains `loaded` and saves it to `out` with a training.json beside it. Checkpoints go to `<out>.checkpoint/`
 * every epoch, so `--resume` continues a killed run; they are removed once the model is saved. Nothing is
 * written to `out` before training has finished.
 */
export async function trainAndSave(
  ctx: CliContext,
  options: {
    command: string;
    loaded: LoadedModel;
    train: Dataset;
    val?: Dataset;
    recipe: Recipe;
    seed: number;
    out: string;
    resume: boolean;
    cachePrefix: boolean;
    backend: BackendInfo;
    transform?: Parameters<typeof fitModel>[0]['transform'];
    runKey?: unknown;
    /** More files saved with the model in the same atomic write (e.g. planting.json). */
    extraFiles?: Record<string, string>;
  },
): Promise<TrainingReport> {
  const out = resolve(options.out);
  const checkpointDir = `${out}.checkpoint`;
  const fit = await fitModel({
    loaded: options.loaded, train: options.train, val: options.val, recipe: options.recipe, seed: options.seed, transform: options.transform,
    cachePrefix: options.cachePrefix, signal: ctx.signal, checkpointDir, resume: options.resume, runKey: options.runKey, log: ctx.log,
    onCacheProgress: (done, total) => ctx.progress.update('caching frozen blocks', done, total),
    onProgress: (p) => {
      if (p.phase === 'batch') {
        ctx.progress.update(`epoch ${p.epoch + 1}/${p.epochs}`, p.batch, p.batches,
          `loss ${p.loss.toFixed(3)} acc ${(p.accuracy * 100).toFixed(1)}% ${p.imagesPerSecond.toFixed(0)} img/s ETA ${formatSeconds(p.etaSeconds)}`);
      }
    },
  });
  const report: TrainingReport = {
    command: options.command,
    out,
    backend: options.backend,
    recipe: options.recipe,
    seed: options.seed,
    data: {
      train: options.train.specString, trainCount: fit.trainCount, val: options.val?.specString ?? null, valCount: fit.valCount, classNames: options.train.classNames,
    },
    history: fit.training.history,
    bestEpoch: fit.training.bestEpoch,
    bestValAccuracy: fit.training.bestValAccuracy,
    resumedFromEpoch: fit.training.startEpoch,
    prefixCache: fit.prefixCache,
    verifiedFrozenBlocks: fit.verifiedFrozenBlocks,
    trainedSeconds: fit.training.trainedSeconds,
  };
  await saveModel(options.loaded, out, { extraFiles: { ...options.extraFiles, 'training.json': `${JSON.stringify(report, null, 2)}\n` } });
  await rm(checkpointDir, { recursive: true, force: true });
  return report;
}
