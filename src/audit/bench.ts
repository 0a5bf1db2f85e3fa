import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentBackendInfo } from '../engine/backend/select';
import { runDemoAudits } from './demo';
import type { StepTiming } from './run/run-types';

/** One line of the demo-audit benchmark: the whole audit, a kind of step, or one step. */
export interface AuditBenchRow {
  /** `demo audit (total)`, `  training`, `    train child K=2 seed 0`, ... */
  name: string;
  seconds: number;
  /** Share of the total wall time. */
  share: number;
  steps: number;
}

export interface AuditBenchResult {
  backend: string;
  rows: AuditBenchRow[];
  timings: StepTiming[];
  wallSeconds: number;
}

const KIND_NAMES: Record<StepTiming['kind'], string> = { pretrain: 'source pretraining', train: 'training (children, scratch)', setup: 'probe setup (stimuli, examples)', probe: 'probes on models' };

/**
 * Runs the demo audits from scratch in a temporary folder (nothing reused) and returns their wall time split by
 * audit, by kind of step, by probe, and by step. The compute backend must be initialised first (`initBackend`).
 *
 * @example
 * await initBackend({ backend: 'auto' });
 * const { rows } = await benchDemoAudit();
 */
export async function benchDemoAudit(options: { quick?: boolean; log?: (line: string) => void; keep?: boolean } = {}): Promise<AuditBenchResult> {
  const backend = currentBackendInfo();
  if (backend === undefined) throw new Error('benchDemoAudit: initialise a compute backend first (initBackend)');
  const out = await mkdtemp(join(tmpdir(), 'bias-audit-bench-'));
  try {
    const outcomes = await runDemoAudits({ outDir: out, quick: options.quick ?? false, onLog: (_level, line) => options.log?.(line) });
    const timings = outcomes.flatMap((o) => o.timings);
    const total = outcomes.reduce((s, o) => s + o.wallSeconds, 0);
    const row = (name: string, seconds: number, steps: number): AuditBenchRow => ({ name, seconds, share: total > 0 ? seconds / total : 0, steps });
    const rows: AuditBenchRow[] = [row(`demo audits${options.quick ? ' --quick' : ''} (total)`, total, timings.length)];
    for (const o of outcomes) rows.push(row(`  ${o.results.runId.replace(/-\d{8}-\d{6}$/, '')}`, o.wallSeconds, o.timings.length));
    rows.push(row('  checking inputs', outcomes.reduce((s, o) => s + o.overheadSeconds.prepare, 0), 0));
    for (const kind of ['pretrain', 'train', 'setup', 'probe'] as const) {
      const steps = timings.filter((t) => t.kind === kind);
      if (steps.length === 0) continue;
      rows.push(row(`  ${KIND_NAMES[kind]}`, steps.reduce((s, t) => s + t.seconds, 0), steps.length));
      if (kind === 'probe') {
        for (const probe of [...new Set(steps.map((t) => t.probe ?? ''))]) {
          const mine = steps.filter((t) => t.probe === probe);
          rows.push(row(`    ${probe}`, mine.reduce((s, t) => s + t.seconds, 0), mine.length));
        }
      } else {
        for (const t of steps) rows.push(row(`    ${t.label}`, t.seconds, 1));
      }
    }
    rows.push(row('  results, CSV, report', outcomes.reduce((s, o) => s + o.overheadSeconds.finish, 0), 0));
    return { backend: backend.detail, rows, timings, wallSeconds: total };
  } finally {
    if (!options.keep) await rm(out, { recursive: true, force: true });
  }
}

/** The rows as a fixed-width table. */
export function formatAuditBenchTable(rows: readonly AuditBenchRow[]): string {
  return `${[`${'step'.padEnd(48)} ${'seconds'.padStart(9)} ${'share'.padStart(7)} ${'steps'.padStart(6)}`, ...rows.map((r) => `${r.name.slice(0, 48).padEnd(48)} ${r.seconds.toFixed(1).padStart(9)} ${`${(r.share * 100).toFixed(1)}%`.padStart(7)} ${String(r.steps).padStart(6)}`)].join('\n')}\n`;
}
