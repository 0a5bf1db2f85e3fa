import type { Dataset } from '../engine/data/dataset';
import { AuditError } from '../engine/util/errors';
import type { InterventionModelResult, InterventionsResult, InterventionTransfer, TriggerEntry } from '../protocol/results';
import type { AuditModelRef, ProbeContext } from './context';
import { interventionMetrics } from './interventions-metrics';
import type { InterventionsParams, PreparedTrigger } from './interventions-params';
import { childVersusScratch } from './interventions-statistics';

/** What the aggregations need to know about a model of the lineage triad. */
export type ModelDescriptor = Pick<AuditModelRef, 'id' | 'role' | 'freezeDepth' | 'seed' | 'sourceId'>;

/**
 * The per-model step of the interventions probe: clean predictions and one triggered pass per trigger on
 * `data`, and every metric per trigger. Plain JSON; resumable by the run under a key of the model hash,
 * the data hash, the triggers' `transformId`s and the params.
 *
 * @param options.targeted measure the targeted ASR (default true). Pass false when `data` is not the
 *   target data the target classes were resolved against (e.g. the foundation on its own test set).
 * @throws AuditError when the model's class count differs from the data's, or no test image is classified correctly.
 */
export async function interventionsStep(
  ctx: ProbeContext,
  model: AuditModelRef,
  data: Dataset,
  triggers: readonly PreparedTrigger[],
  params: InterventionsParams,
  options: { targeted?: boolean } = {},
): Promise<InterventionModelResult[]> {
  const numClasses = model.loaded.meta.classNames.length;
  if (numClasses !== data.classNames.length) {
    throw new AuditError(`model ${model.id} has ${numClasses} classes, the test data ${data.classNames.length}: the interventions probe needs the model's own classes`, { file: data.specString, code: 'CLASS_MISMATCH' });
  }
  ctx.log(`interventions: ${model.id} on ${data.samples.length} test images, ${triggers.length} trigger(s)`);
  const clean = await ctx.predict(model, data);
  const results: InterventionModelResult[] = [];
  for (const [i, { entry, trigger }] of triggers.entries()) {
    ctx.progress(i, triggers.length, `${model.id}: ${entry.id}`);
    const triggered = await ctx.predict(model, data, { transform: trigger.apply, transformId: trigger.transformId });
    const metrics = interventionMetrics(
      { labels: clean.labels, clean: clean.predicted, triggered: triggered.predicted, numClasses, targetClass: options.targeted === false ? null : entry.targetClass },
      { resamples: params.bootstrapResamples, seed: params.bootstrapSeed },
      `model ${model.id}`,
    );
    results.push({ modelId: model.id, triggerId: entry.id, ...metrics });
  }
  ctx.progress(triggers.length, triggers.length);
  return results;
}

/** Everything {@link aggregateInterventions} combines. */
export interface InterventionsAggregationInput {
  /** The test data SPEC as written in the config. */
  dataset: string;
  testImages: number;
  classNames: string[];
  /** `PreparedTrigger.entry`s, with `example` set to the PNG the run wrote (or null). */
  triggers: TriggerEntry[];
  models: readonly ModelDescriptor[];
  /** Every step's output, concatenated. */
  perModel: readonly InterventionModelResult[];
}

/**
 * The probe's section of results.json: the per-model rows as measured, and the transferred bias, child
 * minus scratch, per trigger x source x freeze depth (paired by seed, with a paired test). A depth whose
 * children share no seed with a scratch model gets no transfer row.
 */
export function aggregateInterventions(input: InterventionsAggregationInput): InterventionsResult {
  const byModel = new Map(input.models.map((m) => [m.id, m]));
  for (const r of input.perModel) {
    if (!byModel.has(r.modelId)) throw new Error(`interventions result for unknown model ${r.modelId}`);
  }
  const scratch = input.models.filter((m) => m.role === 'scratch' && m.seed !== null);
  const children = input.models.filter((m) => m.role === 'child' && m.seed !== null && m.freezeDepth !== null);
  const groups = new Map<string, { sourceId: string | null; freezeDepth: number; ids: ModelDescriptor[] }>();
  for (const c of children) {
    const key = `${c.sourceId ?? ''}\u0000${c.freezeDepth}`;
    const group = groups.get(key) ?? { sourceId: c.sourceId, freezeDepth: c.freezeDepth as number, ids: [] };
    group.ids.push(c);
    groups.set(key, group);
  }
  const transfer: InterventionTransfer[] = [];
  for (const trigger of input.triggers) {
    const resultOf = new Map(input.perModel.filter((r) => r.triggerId === trigger.id).map((r) => [r.modelId, r]));
    const bySeed = (models: readonly ModelDescriptor[], metric: (r: InterventionModelResult) => number | null): Map<number, number> => {
      const out = new Map<number, number>();
      for (const m of models) {
        const r = resultOf.get(m.id);
        const v = r === undefined ? null : metric(r);
        if (v !== null) out.set(m.seed as number, v);
      }
      return out;
    };
    const sortedGroups = [...groups.values()].sort((a, b) => (a.sourceId ?? '').localeCompare(b.sourceId ?? '') || a.freezeDepth - b.freezeDepth);
    for (const g of sortedGroups) {
      const compare = (metric: (r: InterventionModelResult) => number | null) => childVersusScratch(bySeed(g.ids, metric), bySeed(scratch, metric));
      const asr = compare((r) => r.asr);
      const cleanAccuracy = compare((r) => r.cleanAccuracy);
      const totalVariation = compare((r) => r.totalVariation);
      if (asr === null || cleanAccuracy === null || totalVariation === null) continue;
      transfer.push({
        triggerId: trigger.id,
        freezeDepth: g.freezeDepth,
        sourceId: g.sourceId,
        asr,
        cleanAccuracy,
        targetedAsr: trigger.targetClass === null ? null : compare((r) => r.targetedAsr),
        totalVariation,
      });
    }
  }
  return {
    dataset: input.dataset,
    testImages: input.testImages,
    classNames: [...input.classNames],
    triggers: input.triggers.map((t) => ({ ...t })),
    perModel: [...input.perModel],
    transfer,
  };
}
