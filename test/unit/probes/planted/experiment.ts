import { openDataset } from '../../../../src/engine/data/open-dataset';
import { UNIT_RANGE } from '../../../../src/engine/data/normalization';
import { buildSmallResNet } from '../../../../src/engine/model/builders/small-resnet';
import { deriveChild, buildScratch } from '../../../../src/engine/model/child';
import { asFoundation } from '../../../../src/engine/model/foundation';
import type { LoadedModel } from '../../../../src/engine/model/meta';
import { fitModel } from '../../../../src/engine/train/fit';
import { resolveRecipe, type Recipe } from '../../../../src/engine/train/recipe';
import { plantedBiasStep, type PlantedChild, type PlantedModelMeasure } from '../../../../src/probes/planted';
import { debiasedTransform, plantingTransform } from '../../../../src/probes/planted-transforms';
import type { Trigger } from '../../../../src/probes/triggers/trigger';
import { directContext, modelRef } from './direct-context';

const SAMPLE = 'samples/fashion-mnist';
const idx = (split: string, query: string): string => `idx:${SAMPLE}/${split}-images-idx3-ubyte.gz,${SAMPLE}/${split}-labels-idx1-ubyte.gz?${query}`;

/** The tiny planted-bias experiment's knobs. */
export interface TinyExperiment {
  trigger: Trigger;
  inputSize: number;
  width: number;
  sourcePerClass: number;
  targetPerClass: number;
  testPerClass: number;
  plantClass: number;
  plantFraction: number;
  sourceRecipe: Partial<Recipe>;
  childRecipe: Partial<Recipe>;
  seeds: number[];
  transfers: ('fixed-feature' | 'full-network')[];
  debiased: boolean;
  /** Train the scratch baselines too (the aggregation needs them; the direction test does not). */
  scratch: boolean;
  log?: (line: string) => void;
}

/**
 * Salman et al. section 3 at a tiny scale, for real: a planted and a clean source pretrained on Fashion-MNIST
 * classes 0-4 (same recipe and seed), children of both on classes 5-9 per transfer kind and seed, scratch
 * baselines, and the trigger's ASR of every model on the target test set.
 */
export async function runTinyPlantedExperiment(x: TinyExperiment): Promise<{
  sources: { sourceId: 'planted' | 'clean'; modelId: string }[];
  children: PlantedChild[];
  scratch: { id: string; seed: number }[];
  measures: PlantedModelMeasure[];
}> {
  const log = x.log ?? (() => undefined);
  const source = await openDataset(idx('pretrain', `classes=0-4&perClass=${x.sourcePerClass}`));
  const sourceTest = await openDataset(idx('test', `classes=0-4&perClass=${x.testPerClass}`));
  const target = await openDataset(idx('finetune', `classes=5-9&perClass=${x.targetPerClass}`));
  const targetTest = await openDataset(idx('test', `classes=5-9&perClass=${x.testPerClass}`));
  const ctx = directContext();
  const measures: PlantedModelMeasure[] = [];
  const children: PlantedChild[] = [];
  const scratch: { id: string; seed: number }[] = [];
  const sourceSeed = 1;
  const sources: Record<'planted' | 'clean', LoadedModel> = {} as Record<'planted' | 'clean', LoadedModel>;
  const toDispose: LoadedModel[] = [];
  try {
    for (const sourceId of ['planted', 'clean'] as const) {
      const model = buildSmallResNet({ inputShape: [x.inputSize, x.inputSize, 1], numClasses: 5, seed: sourceSeed, width: x.width });
      const loaded = asFoundation(model, { classNames: [...source.classNames], normalization: UNIT_RANGE, seed: sourceSeed });
      toDispose.push(loaded);
      const transform = sourceId === 'planted' ? plantingTransform(x.trigger, source.samples, { plantClass: x.plantClass, fraction: x.plantFraction, seed: 0 }).transform : undefined;
      const fit = await fitModel({ loaded, train: source, recipe: resolveRecipe({ ...x.sourceRecipe, validationFraction: 0 }), seed: sourceSeed, transform });
      log(`${sourceId} source: train acc ${fit.training.history.at(-1)?.trainAccuracy.toFixed(3)}`);
      sources[sourceId] = loaded;
      const m = await plantedBiasStep(ctx, modelRef(`source-${sourceId}`, loaded, { role: 'foundation' }), sourceTest, x.trigger, { targetClass: x.plantClass });
      measures.push(m);
      log(`${sourceId} source: ${JSON.stringify(m)}`);
    }
    const childRecipe = resolveRecipe({ ...x.childRecipe, validationFraction: 0 });
    for (const seed of x.seeds) {
      for (const sourceId of ['planted', 'clean'] as const) {
        for (const transfer of x.transfers) {
          for (const targetData of x.debiased ? (['clean', 'debiased'] as const) : (['clean'] as const)) {
            if (targetData === 'debiased' && sourceId === 'clean') continue;
            const child = await deriveChild(sources[sourceId], { classNames: [...target.classNames], freezeDepth: transfer === 'fixed-feature' ? 'fixed' : 'full', seed });
            toDispose.push(child);
            const transform = targetData === 'debiased' ? debiasedTransform(x.trigger, target.samples, { fraction: 0.5, seed: 0 }).transform : undefined;
            await fitModel({ loaded: child, train: target, recipe: childRecipe, seed, transform });
            const id = `child-${sourceId}-${transfer}-${targetData}-s${seed}`;
            const m = await plantedBiasStep(ctx, modelRef(id, child), targetTest, x.trigger);
            measures.push(m);
            children.push({ id, sourceId, transfer, freezeDepth: child.meta.lineage?.freezeDepth ?? 0, seed, targetData });
            log(`${id}: asr ${m.asr.toFixed(3)} clean acc ${m.cleanAccuracy.toFixed(3)}`);
          }
        }
      }
      if (!x.scratch) continue;
      const s = await buildScratch(sources.clean, { classNames: [...target.classNames], seed });
      toDispose.push(s);
      await fitModel({ loaded: s, train: target, recipe: childRecipe, seed });
      const m = await plantedBiasStep(ctx, modelRef(`scratch-s${seed}`, s, { role: 'scratch' }), targetTest, x.trigger);
      measures.push(m);
      scratch.push({ id: `scratch-s${seed}`, seed });
      log(`scratch-s${seed}: asr ${m.asr.toFixed(3)} clean acc ${m.cleanAccuracy.toFixed(3)}`);
    }
  } finally {
    for (const l of toDispose) l.model.dispose();
  }
  return { sources: [{ sourceId: 'planted', modelId: 'source-planted' }, { sourceId: 'clean', modelId: 'source-clean' }], children, scratch, measures };
}
