import { resolve } from 'node:path';
import { runDemoAudits } from '../../audit/demo';
import { flag, stringOption } from '../args';
import type { Command } from '../command';
import { BACKEND_FLAGS, BACKEND_USAGE, startBackend } from '../common';
import { auditJson, auditProgressPrinter, auditSummary } from './run';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'full audits of the bundled sample: children at several freeze depths, scratch, every probe',
  usage: `bias-audit demo [--out DIR] [--quick] [--json]

Audits the bundled sample foundation (samples/foundation/, a small ResNet pretrained on the Fashion-MNIST
sample) with samples/demo.biasaudit.json (children at three freeze depths and the scratch baseline over three
seeds; strong stimuli, interventions, planted bias with the planted twin samples/foundation-planted/, and
associations) and samples/demo-groups.biasaudit.json (group disparity with finetuning-data interventions on the
groups sample). Prints the headline figures and where the reports are. Running it again reuses what is finished.
  --out DIR             folder the run folder goes in (default ./bias-audit-demo)
  --quick               one seed, one epoch, short stimulus optimisation: a fast smoke test
${BACKEND_USAGE}`,
  spec: { values: ['out', ...BACKEND_FLAGS.values], booleans: ['quick', ...BACKEND_FLAGS.booleans], positionals: [0, 0] },
  async run(args, ctx) {
    await startBackend(args, ctx, 'demo');
    const outcomes = await runDemoAudits({
      outDir: resolve(stringOption(args, 'out', 'demo', undefined) ?? 'bias-audit-demo'),
      quick: flag(args, 'quick'),
      signal: ctx.signal,
      onProgress: auditProgressPrinter(ctx),
      onLog: (level, message) => {
        if (level !== 'debug') ctx.log(message);
      },
    });
    ctx.out(ctx.json ? JSON.stringify({ audits: outcomes.map(auditJson) }) : outcomes.map(auditSummary).join('\n\n'));
  },
};
