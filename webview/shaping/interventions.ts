/** Intervention shaping: per-model ASR table, child-versus-scratch over seeds, and prediction histograms. */
import type { AuditResults, InterventionsResult } from '../../src/protocol/results';
import { fixed, percent, pValue, summary } from './format';
import { modelLabel } from './models';
import type { Table } from './table';

export function interventionTable(results: AuditResults, probe: InterventionsResult, triggerId: string): Table {
  return {
    name: `Interventions (${triggerId})`,
    headers: ['Model', 'Clean accuracy', 'ASR', 'ASR denominator', 'Targeted ASR', 'TV distance', 'Entropy clean → triggered', 'Top-class share clean → triggered'],
    rows: probe.perModel
      .filter((r) => r.triggerId === triggerId)
      .map((r) => [
        modelLabel(results, r.modelId),
        percent(r.cleanAccuracy),
        percent(r.asr),
        r.asrDenominator,
        r.targetedAsr === null ? '—' : `${percent(r.targetedAsr)} (of ${r.targetedAsrDenominator})`,
        fixed(r.totalVariation),
        `${fixed(r.entropyClean, 2)} → ${fixed(r.entropyTriggered, 2)}`,
        `${percent(r.topClassShareClean)} → ${percent(r.topClassShareTriggered)}`,
      ]),
  };
}

export function transferTable(probe: InterventionsResult, triggerId: string): Table {
  return {
    name: `ASR child − scratch (${triggerId})`,
    headers: ['Freeze depth', 'Child ASR', 'Scratch ASR', 'Child − scratch', 'Paired test p'],
    rows: probe.transfer
      .filter((t) => t.triggerId === triggerId)
      .map((t) => [t.freezeDepth, summary(t.asr.child), summary(t.asr.scratch), summary(t.asr.difference), pValue(t.asr.pairedTest?.pValue)]),
  };
}

export interface AsrBar {
  group: string;
  freezeDepth: number;
  mean: number;
  low: number;
  high: number;
}

/** Child and scratch ASR per freeze depth with ± std error bars (the paper's child-versus-scratch figure). */
export function asrBars(probe: InterventionsResult, triggerId: string): AsrBar[] {
  return probe.transfer
    .filter((t) => t.triggerId === triggerId)
    .flatMap((t) => [
      { group: 'child', freezeDepth: t.freezeDepth, mean: t.asr.child.mean, low: t.asr.child.mean - t.asr.child.std, high: t.asr.child.mean + t.asr.child.std },
      { group: 'scratch', freezeDepth: t.freezeDepth, mean: t.asr.scratch.mean, low: t.asr.scratch.mean - t.asr.scratch.std, high: t.asr.scratch.mean + t.asr.scratch.std },
    ]);
}

export interface HistogramBar {
  className: string;
  condition: 'clean' | 'triggered';
  share: number;
}

/** Prediction shares per class with and without the trigger on one model (the skew figure). */
export function histogramBars(probe: InterventionsResult, modelId: string, triggerId: string): HistogramBar[] {
  const row = probe.perModel.find((r) => r.modelId === modelId && r.triggerId === triggerId);
  if (!row) return [];
  const total = (h: number[]) => Math.max(1, h.reduce((a, b) => a + b, 0));
  const clean = total(row.histogramClean);
  const triggered = total(row.histogramTriggered);
  return probe.classNames.flatMap((className, i) => [
    { className, condition: 'clean' as const, share: (row.histogramClean[i] ?? 0) / clean },
    { className, condition: 'triggered' as const, share: (row.histogramTriggered[i] ?? 0) / triggered },
  ]);
}
