import type { Dataset } from '../engine/data/dataset';
import { AuditError } from '../engine/util/errors';
import type { PlantedBiasComparison, PlantedBiasResult, PlantedBiasRow, TransferKind } from '../protocol/results';
import type { AuditModelRef, ProbeContext } from './context';
import { accuracyOf, attackSuccessRate, targetedAttackSuccessRate } from './interventions-metrics';
import { pairedDifference, summaryStats } from './interventions-statistics';
import type { PlantedBiasParams } from './planted-params';
import type { Trigger } from './triggers/trigger';

/** The planted-bias step's output for one model: the trigger's effect on its test set (plain JSON). */
export interface PlantedModelMeasure {
  modelId: string;
  /** Untargeted ASR of the planted trigger, Pr[C(T(x)) != y | C(x) = y]. */
  asr: number;
  asrDenominator: number;
  cleanAccuracy: number;
  /** Pr[C(T(x)) = k | y != k] for `targetClass` (sources: the plant class); null without one. */
  targetedAsr: number | null;
}

/**
 * The per-model step: clean and triggered predictions of `model` on `data` (sources: the source test set;
 * children and scratch: the clean target test set). Resumable by the run under the model hash, the data
 * hash and the trigger's `transformId`.
 *
 * @param options.targetClass measure the targeted ASR for this class of `data` (for the sources: the plant class).
 * @throws AuditError when the class counts differ or no test image is classified correctly.
 */
export async function plantedBiasStep(ctx: ProbeContext, model: AuditModelRef, data: Dataset, trigger: Trigger, options: { targetClass?: number | null } = {}): Promise<PlantedModelMeasure> {
  const numClasses = model.loaded.meta.classNames.length;
  if (numClasses !== data.classNames.length) {
    throw new AuditError(`model ${model.id} has ${numClasses} classes, the test data ${data.classNames.length}`, { file: data.specString, code: 'CLASS_MISMATCH' });
  }
  ctx.log(`planted bias: ${model.id} on ${data.samples.length} test images`);
  const clean = await ctx.predict(model, data);
  const triggered = await ctx.predict(model, data, { transform: trigger.apply, transformId: trigger.transformId });
  const asr = attackSuccessRate(clean.labels, clean.predicted, triggered.predicted);
  if (asr.rate === null) {
    throw new AuditError(`model ${model.id} classifies none of the ${data.samples.length} test images correctly, so its ASR is undefined`, { code: 'UNDEFINED_METRIC' });
  }
  const targetClass = options.targetClass ?? null;
  return {
    modelId: model.id,
    asr: asr.rate,
    asrDenominator: asr.denominator,
    cleanAccuracy: accuracyOf(clean.labels, clean.predicted),
    targetedAsr: targetClass === null ? null : targetedAttackSuccessRate(clean.labels, triggered.predicted, targetClass).rate,
  };
}

/** A child of the planted-bias experiment as the aggregation needs it. */
export interface PlantedChild {
  id: string;
  sourceId: 'planted' | 'clean';
  transfer: TransferKind;
  freezeDepth: number;
  seed: number;
  /** Finetuned on the clean target data or on its de-biased copy. */
  targetData: 'clean' | 'debiased';
}

export interface PlantedAggregationInput {
  params: PlantedBiasParams;
  plantClass: number;
  plantClassName: string;
  sources: { sourceId: 'planted' | 'clean'; modelId: string }[];
  children: readonly PlantedChild[];
  /** Scratch baselines trained on the clean target data, one per seed. */
  scratch: readonly { id: string; seed: number }[];
  /** Every step's output (sources, children, scratch). */
  measures: readonly PlantedModelMeasure[];
}

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;

/**
 * The probe's section of results.json: a row per source x transfer x freeze depth x target data (ASR and
 * clean accuracy over seeds), the scratch reference, paired comparisons, and MISSION.md's expected shape
 * checked on this run's means (each expectation states the numbers it was judged on; an expectation whose
 * models the run lacks is left out rather than guessed).
 */
export function aggregatePlantedBias(input: PlantedAggregationInput): PlantedBiasResult {
  if (input.scratch.length === 0) throw new AuditError('the planted-bias comparison needs the scratch baseline (at least one seed)', { code: 'BAD_CONFIG' });
  const measureOf = new Map(input.measures.map((m) => [m.modelId, m]));
  const need = (id: string): PlantedModelMeasure => {
    const m = measureOf.get(id);
    if (m === undefined) throw new Error(`planted bias: no measurement for model ${id}`);
    return m;
  };
  const rowKey = (c: Pick<PlantedChild, 'sourceId' | 'transfer' | 'freezeDepth' | 'targetData'>): string => `${c.sourceId}|${c.transfer}|${c.freezeDepth}|${c.targetData}`;
  const grouped = new Map<string, PlantedChild[]>();
  for (const c of input.children) {
    const members = grouped.get(rowKey(c));
    if (members === undefined) grouped.set(rowKey(c), [c]);
    else members.push(c);
  }
  const order = (c: PlantedChild): string => `${c.targetData === 'clean' ? 0 : 1}${c.transfer}${String(c.freezeDepth).padStart(4, '0')}${c.sourceId === 'planted' ? 0 : 1}`;
  const rows: PlantedBiasRow[] = [...grouped.values()]
    .sort((a, b) => order(a[0]).localeCompare(order(b[0])))
    .map((members) => ({
      sourceId: members[0].sourceId,
      transfer: members[0].transfer,
      freezeDepth: members[0].freezeDepth,
      targetData: members[0].targetData,
      asr: summaryStats(members.map((m) => need(m.id).asr)),
      cleanAccuracy: summaryStats(members.map((m) => need(m.id).cleanAccuracy)),
      modelIds: members.map((m) => m.id),
    }));

  // ASR by seed of the children of one source x transfer kind x target data (fixed-feature and full-network only).
  const asrBySeed = (sourceId: 'planted' | 'clean', transfer: TransferKind, targetData: 'clean' | 'debiased'): Map<number, number> =>
    new Map(input.children.filter((c) => c.sourceId === sourceId && c.transfer === transfer && c.targetData === targetData).map((c) => [c.seed, need(c.id).asr]));
  const scratchAsr = new Map(input.scratch.map((s) => [s.seed, need(s.id).asr]));
  const comparisons: PlantedBiasComparison[] = [];
  const compare = (label: string, left: Map<number, number>, right: Map<number, number>): void => {
    const d = pairedDifference(left, right);
    if (d !== null) comparisons.push({ label, ...d });
  };
  const kinds = (['fixed-feature', 'full-network'] as const).filter((t) => asrBySeed('planted', t, 'clean').size > 0);
  for (const t of kinds) compare(`ASR: planted-source minus clean-source children (${t}, clean target)`, asrBySeed('planted', t, 'clean'), asrBySeed('clean', t, 'clean'));
  for (const t of kinds) compare(`ASR: planted-source children minus scratch (${t}, clean target)`, asrBySeed('planted', t, 'clean'), scratchAsr);
  if (kinds.length === 2) compare('ASR: fixed-feature minus full-network children (planted source, clean target)', asrBySeed('planted', 'fixed-feature', 'clean'), asrBySeed('planted', 'full-network', 'clean'));
  const debiasEffect = (t: TransferKind): Map<number, number> => {
    const onClean = asrBySeed('planted', t, 'clean');
    const onDebiased = asrBySeed('planted', t, 'debiased');
    return new Map([...onClean].filter(([seed]) => onDebiased.has(seed)).map(([seed, v]) => [seed, v - (onDebiased.get(seed) as number)]));
  };
  for (const t of kinds) compare(`ASR reduction by de-biasing the target data: clean minus de-biased target (${t}, planted source)`, asrBySeed('planted', t, 'clean'), asrBySeed('planted', t, 'debiased'));
  if (kinds.length === 2) compare('ASR reduction by de-biasing: full-network minus fixed-feature (planted source)', debiasEffect('full-network'), debiasEffect('fixed-feature'));

  const meanOf = (m: Map<number, number>): number | null => (m.size === 0 ? null : [...m.values()].reduce((a, b) => a + b, 0) / m.size);
  const expectations: { statement: string; holds: boolean }[] = [];
  const scratchMean = meanOf(scratchAsr);
  for (const t of kinds) {
    const planted = meanOf(asrBySeed('planted', t, 'clean')) as number;
    const clean = meanOf(asrBySeed('clean', t, 'clean'));
    if (clean !== null) {
      expectations.push({ statement: `${t} children of the planted source have a higher ASR than children of the clean source (${pct(planted)} vs ${pct(clean)})`, holds: planted > clean });
    }
    if (scratchMean !== null) {
      expectations.push({ statement: `${t} children of the planted source have a higher ASR than the scratch baseline (${pct(planted)} vs ${pct(scratchMean)})`, holds: planted > scratchMean });
    }
  }
  if (kinds.length === 2) {
    const ff = meanOf(asrBySeed('planted', 'fixed-feature', 'clean')) as number;
    const fn = meanOf(asrBySeed('planted', 'full-network', 'clean')) as number;
    expectations.push({ statement: `fixed-feature children of the planted source have an ASR at least as high as full-network children (${pct(ff)} vs ${pct(fn)})`, holds: ff >= fn });
    const ffEffect = meanOf(debiasEffect('fixed-feature'));
    const fnEffect = meanOf(debiasEffect('full-network'));
    if (ffEffect !== null && fnEffect !== null) {
      expectations.push({
        statement: `de-biasing the target data lowers the ASR of full-network children more than of fixed-feature children (by ${pct(fnEffect)} vs ${pct(ffEffect)}, planted source)`,
        holds: fnEffect > ffEffect,
      });
    }
  }

  const sourceMeasures = input.sources.map((s) => {
    const m = need(s.modelId);
    return { sourceId: s.sourceId, modelId: s.modelId, asr: m.asr, cleanAccuracy: m.cleanAccuracy };
  });
  return {
    trigger: input.params.trigger,
    plantClass: input.plantClass,
    plantClassName: input.plantClassName,
    plantFraction: input.params.plantFraction,
    sources: sourceMeasures,
    rows,
    scratch: {
      asr: summaryStats(input.scratch.map((s) => need(s.id).asr)),
      cleanAccuracy: summaryStats(input.scratch.map((s) => need(s.id).cleanAccuracy)),
      modelIds: input.scratch.map((s) => s.id),
    },
    comparisons,
    expectations,
  };
}
