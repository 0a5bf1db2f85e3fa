/** Lookups over a run's lineage. */
import type { AuditResults, ModelEntry } from '../../src/protocol/results';

export function allModels(results: AuditResults): ModelEntry[] {
  return [results.lineage.foundation, ...results.lineage.children, ...results.lineage.scratch];
}

export function modelLabel(results: AuditResults, modelId: string): string {
  return allModels(results).find((m) => m.id === modelId)?.label ?? modelId;
}

export function modelRole(results: AuditResults, modelId: string): ModelEntry['role'] | 'other' {
  return allModels(results).find((m) => m.id === modelId)?.role ?? 'other';
}
