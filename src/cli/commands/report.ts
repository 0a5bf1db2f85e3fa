import { regenerateReport } from '../../audit/report/write-report';
import { stringOption } from '../args';
import type { Command } from '../command';

export const reportCommand: Command = {
  name: 'report',
  summary: 'regenerate a run folder\'s self-contained report.html from its results.json',
  usage: `bias-audit report RUN_DIR [--html FILE] [--json]

Reads RUN_DIR/results.json and writes the HTML report (images inlined, charts as SVG, no external references)
to RUN_DIR/report.html or FILE.
  --html FILE           where to write the report
  --json                print { "report": FILE } on stdout`,
  spec: { values: ['html'], booleans: ['json', 'quiet'], positionals: [1, 1] },
  async run(args, ctx) {
    const { reportPath, results } = await regenerateReport(args.positionals[0], stringOption(args, 'html', 'report', undefined));
    ctx.out(ctx.json ? JSON.stringify({ report: reportPath, runId: results.runId }) : `report: ${reportPath}`);
  },
};
