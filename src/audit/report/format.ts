import type { SummaryStats } from '../../protocol/results';

/** `0.42 ± 0.05` (mean ± std over seeds), or `0.42` for a single value. */
export function formatSummary(s: SummaryStats, digits = 2): string {
  return s.n > 1 ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}` : s.mean.toFixed(digits);
}

/** `[0.31, 0.53]`, or `n/a` when there is no interval. */
export function formatInterval(ci: [number, number] | null, digits = 2): string {
  return ci === null ? 'n/a' : `[${ci[0].toFixed(digits)}, ${ci[1].toFixed(digits)}]`;
}

/** A p-value as people read it: `0.032`, `< 0.001`. */
export function formatP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return 'n/a';
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** `87.5%`. */
export function formatPercent(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : `${(value * 100).toFixed(digits)}%`;
}

/** A number with at most `digits` decimals, `n/a` for null. */
export function formatNumber(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : String(Number(value.toFixed(digits)));
}

/** `p = 0.032`, `p < 0.001`, `p n/a`. */
export function pValueText(p: number | null | undefined): string {
  const text = formatP(p);
  return text.startsWith('<') ? `p ${text}` : text === 'n/a' ? 'p n/a' : `p = ${text}`;
}
