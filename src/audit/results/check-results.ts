import { parseAuditResults } from '../../protocol/runFiles';
import type { AuditResults } from '../../protocol/results';

/** JSON paths of every number in `value` that JSON cannot hold (NaN, Infinity): JSON.stringify would turn them into null. */
export function nonFiniteNumbers(value: unknown, path = ''): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [path || '(root)'];
  if (Array.isArray(value)) return value.flatMap((v, i) => nonFiniteNumbers(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => nonFiniteNumbers(v, path ? `${path}.${k}` : k));
  return [];
}

/**
 * Checks results before they are written: no NaN or infinite number anywhere (a metric that is not computable is
 * null with a note, never NaN), and the structure the panels and the report rely on (`parseAuditResults`). A
 * failure is a bug in the run or a probe, so it throws a plain Error naming the fields.
 */
export function assertValidResults(results: AuditResults, file: string): void {
  const bad = nonFiniteNumbers(results);
  if (bad.length > 0) throw new Error(`${file}: not finite: ${bad.slice(0, 10).join(', ')}${bad.length > 10 ? ` and ${bad.length - 10} more` : ''}`);
  parseAuditResults(JSON.stringify(results), file);
}
