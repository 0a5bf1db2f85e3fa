/** Association / Bias Transfer Score shaping: BTS table and the pre/post association scatter. */
import type { AuditResults, AssociationsResult } from '../../src/protocol/results';
import { fixed, pValue, summary } from './format';
import { modelLabel } from './models';
import type { Table } from './table';

export function btsTable(results: AuditResults, probe: AssociationsResult): Table {
  const weat = new Map((probe.weat?.perModel ?? []).map((w) => [w.modelId, w]));
  return {
    name: 'Bias Transfer Score',
    headers: ['Child', 'BTS (Spearman with foundation)', 'WEAT effect size', 'WEAT p'],
    rows: probe.biasTransferScore.map((b) => [modelLabel(results, b.modelId), fixed(b.spearman), fixed(weat.get(b.modelId)?.effectSize, 2), pValue(weat.get(b.modelId)?.pValue)]),
  };
}

export function btsByDepthTable(probe: AssociationsResult): Table {
  return { name: 'BTS by freeze depth', headers: ['Freeze depth', 'BTS over seeds'], rows: probe.biasTransferByFreezeDepth.map((b) => [b.freezeDepth, summary(b.spearman)]) };
}

export function associationTable(results: AuditResults, probe: AssociationsResult): Table {
  return {
    name: 'Associations',
    headers: ['Model', ...probe.comparisons.map((c) => `${c.conceptA} ~ ${c.conceptB}`)],
    rows: probe.perModel.map((m) => [modelLabel(results, m.modelId), ...probe.comparisons.map((c) => {
      const a = m.associations.find((x) => x.comparisonId === c.id);
      return a ? `${fixed(a.mean)} ± ${fixed(a.std)}` : '—';
    })]),
  };
}

export interface AssociationPoint {
  comparison: string;
  foundation: number;
  child: number;
}

/** One point per comparison: the foundation's association (x) against the child's (y). */
export function associationScatter(probe: AssociationsResult, childId: string, foundationId = 'foundation'): AssociationPoint[] {
  const foundation = probe.perModel.find((m) => m.modelId === foundationId);
  const child = probe.perModel.find((m) => m.modelId === childId);
  if (!foundation || !child) return [];
  return probe.comparisons.flatMap((c) => {
    const f = foundation.associations.find((a) => a.comparisonId === c.id);
    const ch = child.associations.find((a) => a.comparisonId === c.id);
    return f && ch ? [{ comparison: `${c.conceptA} ~ ${c.conceptB}`, foundation: f.mean, child: ch.mean }] : [];
  });
}
