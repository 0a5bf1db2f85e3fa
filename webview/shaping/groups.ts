/** Group-disparity and planted-bias shaping. */
import type { AuditResults, GroupDisparityResult, PlantedBiasResult } from '../../src/protocol/results';
import { fixed, percent, pValue, summary } from './format';
import { modelLabel } from './models';
import type { Table } from './table';

export function groupTable(results: AuditResults, probe: GroupDisparityResult, interventionId: string): Table {
  const rows = probe.perModel.filter((r) => r.interventionId === interventionId);
  const headers = ['Model', 'Accuracy', ...probe.groups.map((g) => `Accuracy (${g})`), 'Gap'];
  if (probe.binary) headers.push(...probe.groups.flatMap((g) => [`TPR (${g})`, `FPR (${g})`]), 'TPR gap', 'FPR gap', 'Threshold');
  return {
    name: `Group disparity (${probe.attribute}, ${interventionId})`,
    headers,
    rows: rows.map((r) => {
      const byGroup = probe.groups.map((g) => r.perGroup.find((p) => p.group === g));
      const row = [modelLabel(results, r.modelId), percent(r.accuracy), ...byGroup.map((p) => percent(p?.accuracy)), fixed(r.accuracyGap)];
      if (probe.binary) row.push(...byGroup.flatMap((p) => [percent(p?.truePositiveRate), percent(p?.falsePositiveRate)]), fixed(r.tprGap), fixed(r.fprGap), fixed(r.threshold, 2));
      return row;
    }),
  };
}

export function biasVersusAccuracyTable(probe: GroupDisparityResult): Table {
  const label = (id: string) => probe.interventions.find((i) => i.id === id)?.label ?? id;
  return {
    name: 'Bias versus accuracy',
    headers: ['Finetuning data', 'Model', 'Accuracy', 'Accuracy gap', 'FPR gap'],
    rows: probe.biasVersusAccuracy.map((r) => [label(r.interventionId), r.role === 'scratch' ? 'scratch' : `child K=${r.freezeDepth}`, summary(r.accuracy), summary(r.accuracyGap), summary(r.fprGap)]),
  };
}

export interface BiasAccuracyPoint {
  intervention: string;
  model: string;
  gap: number;
  accuracy: number;
}

export function biasAccuracyPoints(probe: GroupDisparityResult): BiasAccuracyPoint[] {
  const label = (id: string) => probe.interventions.find((i) => i.id === id)?.label ?? id;
  return probe.biasVersusAccuracy.map((r) => ({ intervention: label(r.interventionId), model: r.role === 'scratch' ? 'scratch' : `K=${r.freezeDepth}`, gap: r.accuracyGap.mean, accuracy: r.accuracy.mean }));
}

export function plantedBiasTable(probe: PlantedBiasResult): Table {
  return {
    name: `Planted bias (${probe.trigger} in ${percent(probe.plantFraction, 0)} of ${probe.plantClassName})`,
    headers: ['Source', 'Transfer', 'Target data', 'ASR', 'Clean accuracy'],
    rows: [
      ...probe.rows.map((r) => [r.sourceId, r.transfer, r.targetData, summary(r.asr), summary(r.cleanAccuracy)]),
      ['—', 'scratch', 'clean', summary(probe.scratch.asr), summary(probe.scratch.cleanAccuracy)],
    ],
  };
}

export function plantedComparisonsTable(probe: PlantedBiasResult): Table {
  return {
    name: 'Planted bias comparisons',
    headers: ['Comparison', 'Difference', 'Paired test p', ''],
    rows: [...probe.comparisons.map((c) => [c.label, summary(c.difference), pValue(c.pairedTest?.pValue), '']), ...probe.expectations.map((e) => [e.statement, '', '', e.holds ? 'holds' : 'does not hold'])],
  };
}
