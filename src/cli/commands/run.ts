import { runAudit, type RunAuditOutcome } from '../../audit/run';
import type { AuditProgress } from '../../audit/run/run-types';
import { stringOption } from '../args';
import type { CliContext, Command } from '../command';
import { BACKEND_FLAGS, BACKEND_USAGE, startBackend } from '../common';
import { formatSeconds } from '../progress';

/** Progress lines of an audit on the CLI's progress bar (stderr). */
export function auditProgressPrinter(ctx: CliContext): (p: AuditProgress) => void {
  return (p) => {
    const step = `[${p.stepIndex + 1}/${p.stepsTotal}] ${p.stepLabel}`;
    if (p.phase === 'training' && p.batch !== null && p.batches !== null) {
      const detail = `loss ${p.loss?.toFixed(3) ?? '?'} acc ${p.accuracy !== null ? (p.accuracy * 100).toFixed(1) : '?'}% ${p.imagesPerSecond?.toFixed(0) ?? '?'} img/s ETA ${formatSeconds(p.etaSeconds ?? NaN)}`;
      ctx.progress.update(`${step} epoch ${p.epoch}/${p.epochs}`, p.batch, p.batches, detail);
    } else if (p.batch !== null && p.batches !== null) {
      ctx.progress.update(`${step} ${p.phase}`, p.batch, p.batches);
    }
  };
}

/** The lines the CLI prints when an audit finishes. */
export function auditSummary(outcome: RunAuditOutcome): string {
  const lines = [`audit ${outcome.results.runId}: ${outcome.stepsComputed} steps computed, ${outcome.stepsReused} reused, ${formatSeconds(outcome.wallSeconds)}`];
  for (const h of outcome.results.headline) lines.push(`  ${h.label}: ${h.value}`);
  lines.push(`run folder: ${outcome.runDir}`, `report: ${outcome.reportPath}`);
  return lines.join('\n');
}

/** The object `--json` prints. */
export function auditJson(outcome: RunAuditOutcome): Record<string, unknown> {
  return {
    runId: outcome.results.runId, runDir: outcome.runDir, report: outcome.reportPath, results: `${outcome.runDir}/results.json`, headline: outcome.results.headline,
    stepsComputed: outcome.stepsComputed, stepsReused: outcome.stepsReused, wallSeconds: outcome.wallSeconds, computeBackend: outcome.results.computeBackend,
  };
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run (or resume) the audit a *.biasaudit.json config describes',
  usage: `bias-audit run CONFIG [--out DIR] [--backend NAME] [--json]

Checks the whole config first (every problem at once, before any training), trains every child (freeze depth x
seed) and the scratch baseline, runs every configured probe on the foundation, each child and scratch, and writes
the run folder DIR/NAME (NAME: the config's "name", default its file name): manifest.json, results.json, status.json,
csv/, models/, stimuli/, report.html. Running it again resumes: finished steps are reused, training continues
from its last epoch checkpoint, a changed parameter recomputes only what depends on it.
  CONFIG                the audit config (see docs/audit.md and schemas/biasaudit.schema.json)
  --out DIR             folder the run folder goes in (default: the config's "output", else bias-audit-runs/ beside it)
${BACKEND_USAGE}`,
  spec: { values: ['out', ...BACKEND_FLAGS.values], booleans: [...BACKEND_FLAGS.booleans], positionals: [1, 1] },
  async run(args, ctx) {
    const c = 'run';
    // Without --backend/--threads the config's `compute` section decides (runAudit starts the backend).
    if (args.options.has('backend') || args.options.has('threads')) await startBackend(args, ctx, c);
    const outcome = await runAudit(args.positionals[0], {
      outDir: stringOption(args, 'out', c, undefined) ?? null,
      signal: ctx.signal,
      onProgress: auditProgressPrinter(ctx),
      onLog: (level, message) => {
        if (level !== 'debug') ctx.log(message);
      },
    });
    ctx.out(ctx.json ? JSON.stringify(auditJson(outcome)) : auditSummary(outcome));
  },
};
