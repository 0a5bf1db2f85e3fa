import { asrReport } from '../../audit/probe';
import { openDataset } from '../../engine/data/open-dataset';
import { predict } from '../../engine/eval';
import { loadModel } from '../../engine/model/load';
import { modelHash } from '../../engine/model/model-hash';
import { evaluationSource } from '../../engine/train/fit';
import { UsageError } from '../../engine/util/errors';
import type { AuditModelRef, ProbeContext } from '../../probes/context';
import { interventionsStep } from '../../probes/interventions';
import { DEFAULT_INTERVENTIONS_PARAMS, type InterventionsParams, type PreparedTrigger, resolveClass } from '../../probes/interventions-params';
import { loadTrigger } from '../../probes/triggers/trigger';
import { TRIGGER_SPEC_HELP } from '../../probes/triggers/trigger-spec';
import { intOption, stringOption } from '../args';
import type { CliContext, Command } from '../command';
import { BACKEND_FLAGS, BACKEND_USAGE, startBackend } from '../common';

const PROBES = ['asr'] as const;

export const probeCommand: Command = {
  name: 'probe',
  summary: 'run one probe on one model: `probe asr` measures a trigger\'s attack success rate',
  usage: `bias-audit probe asr --model MODEL --data SPEC --trigger TRIGGER [--target-class K] [--json]

Overlays TRIGGER on every test image and reports clean accuracy, the untargeted attack success rate
ASR = Pr[C(T(x)) != y | C(x) = y] with its denominator, the targeted ASR Pr[C(T(x)) = K | y != K], and the
prediction histograms with and without the trigger (total-variation distance, entropy, top-class share).
  --model MODEL         model.json or its folder
  --data SPEC           labelled test data whose classes are the model's (in order)
  --trigger TRIGGER     the overlay (below)
  --target-class K      class index or name for the targeted ASR
  --bootstrap N         bootstrap resamples for the 95% intervals (default ${DEFAULT_INTERVENTIONS_PARAMS.bootstrapResamples}; 0: none)
  --seed N              bootstrap seed (default 0)
  --batch-size N        default 64

${TRIGGER_SPEC_HELP}
${BACKEND_USAGE}`,
  spec: {
    values: ['model', 'data', 'trigger', 'target-class', 'bootstrap', 'seed', 'batch-size', ...BACKEND_FLAGS.values],
    booleans: [...BACKEND_FLAGS.booleans],
    positionals: [1, 1],
  },
  async run(args, ctx) {
    const c = 'probe';
    const probe = args.positionals[0];
    if (!(PROBES as readonly string[]).includes(probe)) throw new UsageError(`${c}: unknown probe "${probe}" (expected ${PROBES.join(', ')})`);
    const modelPath = stringOption(args, 'model', c);
    const triggerSpec = stringOption(args, 'trigger', c);
    const dataSpec = stringOption(args, 'data', c);
    const bootstrapResamples = intOption(args, 'bootstrap', c, DEFAULT_INTERVENTIONS_PARAMS.bootstrapResamples, 0);
    const bootstrapSeed = intOption(args, 'seed', c, 0, 0);
    const batchSize = intOption(args, 'batch-size', c, 64, 1);
    const targetText = stringOption(args, 'target-class', c, undefined);
    const backend = await startBackend(args, ctx, c);
    const loaded = await loadModel(modelPath);
    try {
      const data = await openDataset(dataSpec);
      const targetClass = targetText === undefined ? null : resolveClass(/^\d+$/.test(targetText) ? Number(targetText) : targetText, data.classNames, '--target-class');
      const trigger = await loadTrigger(triggerSpec, { where: '--trigger' });
      const triggers: PreparedTrigger[] = [{ entry: { id: trigger.spec.kind, spec: triggerSpec, kind: trigger.spec.kind, targetClass, example: null }, trigger }];
      const params: InterventionsParams = { ...DEFAULT_INTERVENTIONS_PARAMS, triggers: [{ spec: triggerSpec, targetClass }], bootstrapResamples, bootstrapSeed };
      const model: AuditModelRef = { id: 'model', role: 'child', loaded, hash: modelHash(loaded.model), freezeDepth: null, seed: null, sourceId: null };
      const [result] = await interventionsStep(directContext(ctx, batchSize), model, data, triggers, params);
      const output = asrReport(modelPath, data, triggers[0], result, backend);
      ctx.out(ctx.json ? JSON.stringify(output) : formatText(output));
    } finally {
      loaded.model.dispose();
    }
  },
};

/** A ProbeContext for one command: predictions straight from the engine, nothing cached across runs. */
function directContext(ctx: CliContext, batchSize: number): ProbeContext {
  return {
    signal: ctx.signal,
    log: ctx.log,
    progress: () => undefined,
    predict: (model, data, options = {}) =>
      predict(model.loaded.model, evaluationSource(model.loaded, data, { batchSize, indices: options.indices, transform: options.transform, signal: ctx.signal }), {
        signal: ctx.signal,
        onBatch: (done, total) => ctx.progress.update(options.transform ? 'predicting with the trigger' : 'predicting', done, total),
      }),
    embed: () => Promise.reject(new Error('probe asr does not use embeddings')),
  };
}

function formatText(o: {
  trigger: string; testImages: number; cleanAccuracy: number; cleanAccuracyCi95: [number, number] | null; asr: number; asrDenominator: number;
  asrCi95: [number, number] | null; targetClass: number | null; targetedAsr: number | null; targetedAsrDenominator: number | null;
  histogram: { classNames: string[]; clean: number[]; triggered: number[] }; totalVariation: number; topClassShareTriggered: number; topClassTriggered: number;
}): string {
  const p = (v: number): string => `${(100 * v).toFixed(1)}%`;
  const ci = (v: [number, number] | null): string => (v === null ? '' : ` (95% CI ${p(v[0])}-${p(v[1])})`);
  const lines = [
    `trigger ${o.trigger} on ${o.testImages} test images`,
    `clean accuracy  ${p(o.cleanAccuracy)}${ci(o.cleanAccuracyCi95)}`,
    `ASR             ${p(o.asr)}${ci(o.asrCi95)} of ${o.asrDenominator} correctly classified images`,
  ];
  if (o.targetClass !== null) {
    lines.push(`targeted ASR    ${o.targetedAsr === null ? 'n/a' : p(o.targetedAsr)} towards ${o.histogram.classNames[o.targetClass]} (${o.targetedAsrDenominator} images of other classes)`);
  }
  lines.push(`total variation ${o.totalVariation.toFixed(3)}; with the trigger ${p(o.topClassShareTriggered)} of predictions are ${o.histogram.classNames[o.topClassTriggered]}`);
  lines.push('predictions per class (clean -> triggered):');
  o.histogram.classNames.forEach((name, k) => lines.push(`  ${name.padEnd(16)} ${String(o.histogram.clean[k]).padStart(5)} -> ${String(o.histogram.triggered[k]).padStart(5)}`));
  return lines.join('\n');
}
