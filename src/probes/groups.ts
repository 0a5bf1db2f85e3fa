import type { Dataset } from '../engine/data/dataset';
import { AuditError } from '../engine/util/errors';
import type { BiasVersusAccuracyRow, FinetuningIntervention, GroupDisparityResult, GroupModelResult } from '../protocol/results';
import type { AuditModelRef, ProbeContext } from './context';
import { calibrateThreshold, groupDisparity } from './groups-metrics';
import { attributeValues, type PreparedGroupDisparity } from './groups-params';
import type { ModelDescriptor } from './interventions';
import { summaryStats } from './interventions-statistics';

/** Test data and, for binary tasks, the validation data the threshold is calibrated on. */
export interface GroupProbeData {
  test: Dataset;
  /** Required for binary tasks; `indices` restricts it (e.g. the held-out part of the training data). */
  validation: { data: Dataset; indices?: readonly number[] } | null;
}

/**
 * The per-model step: predictions on the test set (and the validation set for binary tasks) and the
 * per-group metrics. Binary tasks predict the positive class when its probability reaches the threshold
 * that maximises validation accuracy (`calibrateThreshold`); other tasks take the argmax. Plain JSON;
 * resumable under the model hash, the data hashes and the params.
 *
 * @param interventionId the finetuning-data intervention the model was trained with (`none`, `reweight`, `resample-0`).
 * @throws AuditError when class counts differ, or a binary task has no validation data.
 */
export async function groupDisparityStep(ctx: ProbeContext, model: AuditModelRef, data: GroupProbeData, prepared: PreparedGroupDisparity, interventionId: string): Promise<GroupModelResult> {
  const numClasses = model.loaded.meta.classNames.length;
  if (numClasses !== data.test.classNames.length) {
    throw new AuditError(`model ${model.id} has ${numClasses} classes, the test data ${data.test.classNames.length}`, { file: data.test.specString, code: 'CLASS_MISMATCH' });
  }
  ctx.log(`group disparity: ${model.id} (${interventionId}) on ${data.test.samples.length} test images`);
  const test = await ctx.predict(model, data.test);
  let predicted: ArrayLike<number> = test.predicted;
  let threshold: number | null = null;
  if (prepared.binary) {
    const positive = prepared.positiveClass as number;
    if (data.validation === null) throw new AuditError('a binary task needs validation data to calibrate the decision threshold', { code: 'BAD_CONFIG' });
    const val = await ctx.predict(model, data.validation.data, data.validation.indices ? { indices: data.validation.indices } : {});
    const scoreOf = (p: typeof val, i: number): number => p.probabilities[i * p.numClasses + positive];
    const valRows = data.validation.indices ?? data.validation.data.samples.map((s) => s.index);
    // Predictions come back in `indices` order: row r is sample valRows[r].
    threshold = calibrateThreshold(
      valRows.map((_, r) => scoreOf(val, r)),
      valRows.map((_, r) => val.labels[r] === positive),
    );
    const t = threshold;
    const negative = 1 - positive;
    predicted = Int32Array.from({ length: test.labels.length }, (_, i) => (scoreOf(test, i) >= t ? positive : negative));
  }
  const groupOf = attributeValues(data.test, prepared.params.attribute);
  const d = groupDisparity({ labels: test.labels, predicted, groupOf, groups: prepared.groups, positiveClass: prepared.positiveClass });
  return { modelId: model.id, interventionId, accuracy: d.accuracy, perGroup: d.perGroup, accuracyGap: d.accuracyGap, tprGap: d.tprGap, fprGap: d.fprGap, threshold };
}

export interface GroupAggregationInput {
  prepared: PreparedGroupDisparity;
  /** The interventions as planned (`FinetuningInterventionPlan.intervention`), in order. */
  interventions: FinetuningIntervention[];
  /** Every model measured, with the intervention it was trained with. */
  models: readonly (ModelDescriptor & { interventionId: string })[];
  perModel: readonly GroupModelResult[];
}

/**
 * The probe's section of results.json: the per-model rows and the bias-versus-accuracy table, one row per
 * intervention x role x freeze depth with accuracy, accuracy gap and (binary tasks) FPR gap over seeds.
 */
export function aggregateGroupDisparity(input: GroupAggregationInput): GroupDisparityResult {
  const resultOf = new Map(input.perModel.map((r) => [`${r.modelId}\u0000${r.interventionId}`, r]));
  const rows: BiasVersusAccuracyRow[] = [];
  const roleOrder = { foundation: 0, child: 1, scratch: 2 } as const;
  for (const intervention of input.interventions) {
    const cells = new Map<string, { role: ModelDescriptor['role']; freezeDepth: number | null; results: GroupModelResult[] }>();
    for (const m of input.models.filter((x) => x.interventionId === intervention.id)) {
      const r = resultOf.get(`${m.id}\u0000${intervention.id}`);
      if (r === undefined) continue;
      const key = `${m.role}\u0000${m.freezeDepth ?? ''}`;
      const cell = cells.get(key) ?? { role: m.role, freezeDepth: m.freezeDepth, results: [] };
      cell.results.push(r);
      cells.set(key, cell);
    }
    const sorted = [...cells.values()].sort((a, b) => roleOrder[a.role] - roleOrder[b.role] || (a.freezeDepth ?? -1) - (b.freezeDepth ?? -1));
    for (const cell of sorted) {
      const fprGaps = cell.results.map((r) => r.fprGap);
      rows.push({
        interventionId: intervention.id,
        role: cell.role,
        freezeDepth: cell.freezeDepth,
        accuracy: summaryStats(cell.results.map((r) => r.accuracy)),
        accuracyGap: summaryStats(cell.results.map((r) => r.accuracyGap)),
        fprGap: fprGaps.every((g): g is number => g !== null) ? summaryStats(fprGaps) : null,
        modelIds: cell.results.map((r) => r.modelId),
      });
    }
  }
  return {
    attribute: input.prepared.params.attribute,
    groups: [...input.prepared.groups],
    binary: input.prepared.binary,
    positiveClass: input.prepared.positiveClass,
    interventions: input.interventions.map((i) => ({ ...i })),
    perModel: [...input.perModel],
    biasVersusAccuracy: rows,
  };
}
