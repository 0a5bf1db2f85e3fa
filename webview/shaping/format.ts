/** Number formatting shared by tables and charts. Pure (unit-tested in plain Node). */
import type { SummaryStats } from '../../src/protocol/results';

export function fixed(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || Number.isNaN(value) ? '—' : value.toFixed(digits);
}

export function percent(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || Number.isNaN(value) ? '—' : `${(100 * value).toFixed(digits)}%`;
}

/** `0.412 ± 0.031 [0.35, 0.47] (n=3)`; the interval is omitted when there is none (n < 2). */
export function summary(stats: SummaryStats | null | undefined, digits = 3): string {
  if (!stats) return '—';
  const ci = stats.ci95 ? ` [${stats.ci95[0].toFixed(digits)}, ${stats.ci95[1].toFixed(digits)}]` : '';
  return `${stats.mean.toFixed(digits)} ± ${stats.std.toFixed(digits)}${ci} (n=${stats.n})`;
}

export function pValue(p: number | null | undefined): string {
  if (p === null || p === undefined) return '—';
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}
