/** Key figures of one model of one run, for side-by-side comparison. */
import type { AuditResults } from '../../src/protocol/results';
import { fixed, percent } from './format';
import { modelLabel } from './models';
import type { Table } from './table';

export function keyFigures(results: AuditResults, modelId: string): Table {
  const rows: [string, string][] = [];
  const training = results.training.find((t) => t.modelId === modelId);
  const last = training?.epochs[training.epochs.length - 1];
  if (last) rows.push(['final training accuracy', percent(last.accuracy)], ['final validation accuracy', percent(last.valAccuracy)]);
  const stimuli = results.probes.strongStimuli?.perModel.find((m) => m.modelId === modelId);
  if (stimuli) {
    const n = results.probes.strongStimuli?.stimuli.length ?? 0;
    rows.push(['outperforming classes', stimuli.outperformingCount === null ? '—' : `${stimuli.outperformingCount} of ${n}`], ['label mode', `${stimuli.labelMode.name} (${stimuli.labelMode.count} of ${n})`]);
  }
  for (const r of results.probes.interventions?.perModel.filter((x) => x.modelId === modelId) ?? []) {
    rows.push([`clean accuracy (${r.triggerId})`, percent(r.cleanAccuracy)], [`ASR (${r.triggerId})`, `${percent(r.asr)} of ${r.asrDenominator}`]);
    if (r.targetedAsr !== null) rows.push([`targeted ASR (${r.triggerId})`, percent(r.targetedAsr)]);
  }
  for (const g of results.probes.groupDisparity?.perModel.filter((x) => x.modelId === modelId) ?? []) rows.push([`accuracy gap (${g.interventionId})`, fixed(g.accuracyGap)]);
  const bts = results.probes.associations?.biasTransferScore.find((b) => b.modelId === modelId);
  if (bts) rows.push(['Bias Transfer Score', fixed(bts.spearman)]);
  return { name: `${results.runId}: ${modelLabel(results, modelId)}`, headers: ['Figure', 'Value'], rows };
}
