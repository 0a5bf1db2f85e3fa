import { openDataset } from '../../engine/data/open-dataset';
import { accuracyReport, predict } from '../../engine/eval';
import { evaluationSource } from '../../engine/train/fit';
import { AuditError } from '../../engine/util/errors';
import { intOption, stringOption } from '../args';
import type { Command } from '../command';
import { BACKEND_FLAGS, BACKEND_USAGE, IMPORT_FLAGS, IMPORT_USAGE, openModelFromArgs, startBackend } from '../common';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'accuracy, per-class accuracy and the confusion matrix of a model on a dataset',
  usage: `bias-audit eval --model MODEL --data SPEC [--json] [--batch-size N]
  --model MODEL         model.json or its folder
  --data SPEC           labelled test data whose classes are the model's (in order)
${IMPORT_USAGE}
${BACKEND_USAGE}`,
  spec: { values: ['model', 'data', 'batch-size', ...IMPORT_FLAGS.values, ...BACKEND_FLAGS.values], booleans: [...BACKEND_FLAGS.booleans], positionals: [0, 0] },
  async run(args, ctx) {
    const c = 'eval';
    const backend = await startBackend(args, ctx, c);
    const modelPath = stringOption(args, 'model', c);
    const loaded = await openModelFromArgs(modelPath, args, ctx, c);
    try {
      const data = await openDataset(stringOption(args, 'data', c));
      if (data.classNames.length !== loaded.meta.classNames.length) {
        throw new AuditError(`the model has ${loaded.meta.classNames.length} classes but the data has ${data.classNames.length}; select the model's classes with ?classes=`, { file: data.specString, code: 'CLASS_MISMATCH' });
      }
      const source = evaluationSource(loaded, data, { batchSize: intOption(args, 'batch-size', c, 64, 1), signal: ctx.signal });
      const predictions = await predict(loaded.model, source, { signal: ctx.signal, onBatch: (done, total) => ctx.progress.update('evaluating', done, total) });
      const report = accuracyReport(predictions, [...loaded.meta.classNames]);
      if (ctx.json) {
        ctx.out(JSON.stringify({ model: modelPath, data: data.specString, backend, ...report }));
        return;
      }
      const lines = [`accuracy ${(report.accuracy * 100).toFixed(2)}% on ${report.count} images`, 'per class:'];
      for (const pc of report.perClass) lines.push(`  ${pc.className.padEnd(16)} ${pc.accuracy === null ? '   n/a' : `${(pc.accuracy * 100).toFixed(1).padStart(5)}%`}  (${pc.correct}/${pc.count})`);
      lines.push('confusion (rows: true class, columns: predicted):');
      for (const row of report.confusion) lines.push(`  ${row.map((v) => String(v).padStart(5)).join('')}`);
      ctx.out(lines.join('\n'));
    } finally {
      loaded.model.dispose();
    }
  },
};
