import type { Dataset } from '../../engine/data/dataset';
import { openDataset } from '../../engine/data/open-dataset';
import { parseDataSpec } from '../../engine/data/spec';
import { analyzeBlocks } from '../../engine/model/blocks';
import { openModel } from '../../engine/import/open-model';
import type { FreezeSpec, LoadedModel } from '../../engine/model/meta';
import { modelHash } from '../../engine/model/model-hash';
import { resolveModelJsonPath } from '../../engine/model/model-json';
import { resolveRecipe, type Recipe } from '../../engine/train/recipe';
import { aggregatePlantedBias, type PlantedChild, type PlantedModelMeasure, plantedBiasStep } from '../../probes/planted';
import { type PlantedBiasParams, validatePlantedBiasParams } from '../../probes/planted-params';
import { debiasedTransform, plantingTransform } from '../../probes/planted-transforms';
import type { Trigger } from '../../probes/triggers/trigger';
import type { HeadlineFigure, PlantedBiasResult } from '../../protocol/results';
import { messageWithoutFile, problemFromError, type ProblemList } from '../config/config-error';
import type { DataRefConfig, RecipeConfig } from '../config/config-types';
import { transferKindOf, type TrainingVariant } from '../lineage/model-plan';
import { formatPercent } from '../report/format';
import type { AuditInputs, PreparedProbe, ProbeModel, SourceRequest } from './probe-adapter';

/** The audit config's `probes.plantedBias`: the probe's parameters plus where its two sources come from. */
export interface PlantedBiasSection extends Partial<PlantedBiasParams> {
  plantClass: number | string;
  /** Existing planted and clean source checkpoints (paths absolute after config resolution). */
  sources?: { planted: string; clean: string };
  /** Source data: `train` pretrains both sources (when `sources` is absent), `test` measures them. */
  sourceData?: { train?: DataRefConfig; test: DataRefConfig };
  /** Pretraining recipe of the sources (default: the children's). */
  sourceRecipe?: RecipeConfig;
  sourceSeed?: number;
}

const SOURCE_IDS = ['planted', 'clean'] as const;

/**
 * The planted-bias probe (MISSION.md probe 3) in the run: two sources (pretrained by the run with and without the
 * trigger in `plantFraction` of `plantClass`, or given as checkpoints), children of both per transfer kind x seed on
 * the clean target data and optionally a de-biased copy, the scratch baseline; one step per model measures the
 * trigger's ASR (sources on the source test data, the rest on the target test data).
 */
export async function preparePlantedBias(raw: Record<string, unknown>, inputs: AuditInputs, problems: ProblemList): Promise<PreparedProbe | null> {
  const where = 'probes.plantedBias';
  const section = raw as unknown as PlantedBiasSection;
  const children = inputs.config.children;
  if (!children || !children.scratch) {
    problems.add(where, 'the planted-bias experiment trains children of both sources and compares them with the scratch baseline: give `children` with seeds, a recipe and scratch: true');
    return null;
  }
  const baseDir = inputs.config.configDir;
  const openRef = async (ref: DataRefConfig | undefined, path: string): Promise<Dataset | null> => {
    if (ref === undefined) return null;
    try {
      const spec = typeof ref === 'string' ? ref : ref.spec;
      const { spec: _spec, ...selection } = typeof ref === 'string' ? { spec } : ref;
      return await openDataset(parseDataSpec(spec, { baseDir }), selection);
    } catch (e) {
      problems.add(path, e instanceof Error ? e.message : String(e));
      return null;
    }
  };
  const sourceTrain = await openRef(section.sourceData?.train, `${where}.sourceData.train`);
  const sourceTest = await openRef(section.sourceData?.test, `${where}.sourceData.test`);
  if (!section.sourceData?.test) problems.add(`${where}.sourceData.test`, 'is required: the sources\' own test data (their ASR and accuracy are measured on it)');
  if (!section.sources && !section.sourceData?.train) problems.add(`${where}.sourceData.train`, 'is required to pretrain the sources (or give `sources`: { planted, clean } checkpoints)');

  const loadedSources: Partial<Record<'planted' | 'clean', { loaded: LoadedModel; hash: string; path: string }>> = {};
  if (section.sources) {
    for (const id of SOURCE_IDS) {
      try {
        const { imported: _imported, ...loaded } = await openModel(section.sources[id]);
        const blocks = analyzeBlocks(loaded.model, loaded.meta).blocks.length;
        const foundationBlocks = analyzeBlocks(inputs.foundation.loaded.model, inputs.foundation.loaded.meta).blocks.length;
        if (blocks !== foundationBlocks) problems.add(`${where}.sources.${id}`, `has ${blocks} blocks, the foundation ${foundationBlocks}: the sources must share the foundation's architecture`);
        loadedSources[id] = { loaded, hash: modelHash(loaded.model), path: await resolveModelJsonPath(section.sources[id]) };
      } catch (e) {
        problems.add(`${where}.sources.${id}`, e instanceof Error ? e.message : String(e));
      }
    }
  }
  const sourceClassNames = sourceTrain?.classNames ?? loadedSources.planted?.loaded.meta.classNames ?? sourceTest?.classNames;
  if (sourceClassNames === undefined) return disposeAnd(loadedSources, null);

  let params: PlantedBiasParams;
  let trigger: Trigger;
  let plantClass: number;
  try {
    const { sources: _s, sourceData: _d, sourceRecipe: _r, sourceSeed: _seed, ...probeParams } = section;
    ({ params, trigger, plantClass } = await validatePlantedBiasParams(probeParams, { sourceClassNames, ...(sourceTrain ? { sourceClassCounts: sourceTrain.classCounts } : {}), baseDir, where }));
  } catch (e) {
    {
      const problem = problemFromError(e, where);
      problems.add(problem.path, problem.message);
    }
    return disposeAnd(loadedSources, null);
  }
  if (sourceTest && sourceTest.classNames.join('\u0000') !== sourceClassNames.join('\u0000')) {
    problems.add(`${where}.sourceData.test`, `its classes (${sourceTest.classNames.join(', ')}) are not the sources' (${sourceClassNames.join(', ')})`);
  }
  let sourceRecipe: Recipe;
  try {
    sourceRecipe = section.sourceRecipe ? resolveRecipe({ ...(section.sourceRecipe as Partial<Recipe>) }, `${where}.sourceRecipe`) : children.recipe;
  } catch (e) {
    problems.add(`${where}.sourceRecipe`, messageWithoutFile(e));
    return disposeAnd(loadedSources, null);
  }
  if (problems.size > 0 || !sourceTest) return disposeAnd(loadedSources, null);

  const seed = section.sourceSeed ?? 0;
  const sourceRequests: SourceRequest[] = [];
  for (const id of SOURCE_IDS) {
    const label = `${id} source`;
    const given = loadedSources[id];
    if (given) {
      sourceRequests.push({ id, label, checkpoint: given.path, loaded: given.loaded, checkpointHash: given.hash });
    } else if (sourceTrain) {
      const planting = id === 'planted' ? plantingTransform(trigger, sourceTrain.samples, { plantClass, fraction: params.plantFraction, seed: params.plantSeed }) : null;
      sourceRequests.push({
        id, label,
        pretrain: { data: sourceTrain, dataHash: await sourceTrain.contentHash(), recipe: sourceRecipe, seed, ...(planting ? { transform: planting.transform } : {}), digest: planting?.transformId ?? null },
      });
    }
  }
  const variants: (TrainingVariant | null)[] = [null];
  if (params.debiasedTarget) {
    const debias = debiasedTransform(trigger, inputs.train.samples, { fraction: params.debiasFraction, seed: params.debiasSeed });
    variants.push({ id: 'debiased', label: 'de-biased target data', digest: debias.transformId, transform: debias.transform });
  }
  const freezeSpecs: FreezeSpec[] = params.transfers.map((t) => (t === 'fixed-feature' ? 'fixed' : 'full'));
  const blockCount = analyzeBlocks(inputs.foundation.loaded.model, inputs.foundation.loaded.meta).blocks.length;
  const sourceTestHash = await sourceTest.contentHash();
  const isSource = (m: ProbeModel): boolean => m.role === 'foundation' && m.sourceId !== null;
  const measured = (m: ProbeModel): boolean =>
    isSource(m) || (m.role === 'child' && (m.sourceId === 'planted' || m.sourceId === 'clean') && (m.variantId === null || m.variantId === 'debiased')) || (m.role === 'scratch' && m.variantId === null && m.sourceId === null);

  return {
    name: 'plantedBias',
    training: { sources: sourceRequests, sourceChildren: { freezeSpecs, variants } },
    setupSteps: [],
    selectModels: (models) => models.filter(measured),
    modelStepInputs: { trigger: trigger.transformId, plantClass, sourceTest: sourceTestHash, test: inputs.hashes.test },
    async runModelStep(ctx, model, info) {
      const result = isSource(info)
        ? await plantedBiasStep(ctx.probe, model, sourceTest, trigger, { targetClass: plantClass })
        : await plantedBiasStep(ctx.probe, model, inputs.test, trigger);
      return { result, files: [] };
    },
    async aggregate(perModel, models) {
      const plantedChildren: PlantedChild[] = models
        .filter((m) => m.role === 'child')
        .map((m) => ({
          id: m.id, sourceId: m.sourceId as 'planted' | 'clean', transfer: transferKindOf(m.freezeDepth, blockCount) as PlantedChild['transfer'], freezeDepth: m.freezeDepth ?? 0,
          seed: m.seed ?? 0, targetData: m.variantId === 'debiased' ? 'debiased' : 'clean',
        }));
      return aggregatePlantedBias({
        params, plantClass, plantClassName: sourceClassNames[plantClass],
        sources: models.filter(isSource).map((m) => ({ sourceId: m.sourceId as 'planted' | 'clean', modelId: m.id })),
        children: plantedChildren,
        scratch: models.filter((m) => m.role === 'scratch').map((m) => ({ id: m.id, seed: m.seed ?? 0 })),
        measures: [...perModel.values()] as PlantedModelMeasure[],
      });
    },
    headline: (section) => plantedHeadline(section as PlantedBiasResult),
  };
}

function disposeAnd<T>(sources: Partial<Record<string, { loaded: LoadedModel }>>, value: T): T {
  for (const s of Object.values(sources)) s?.loaded.model.dispose();
  return value;
}

/** ASR of fixed-feature children of the planted source against those of the clean source. */
export function plantedHeadline(section: PlantedBiasResult): HeadlineFigure[] {
  const row = (sourceId: 'planted' | 'clean') => section.rows.find((r) => r.sourceId === sourceId && r.targetData === 'clean' && r.transfer === 'fixed-feature') ?? section.rows.find((r) => r.sourceId === sourceId && r.targetData === 'clean');
  const planted = row('planted');
  const clean = row('clean');
  if (!planted || !clean) return [];
  return [{ label: `planted-trigger ASR, ${planted.transfer} children: planted vs clean source`, value: `${formatPercent(planted.asr.mean)} vs ${formatPercent(clean.asr.mean)}` }];
}
