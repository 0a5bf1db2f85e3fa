import { join, resolve } from 'node:path';
import { loadModel } from '../../engine/model/load';
import { writeJsonAtomic } from '../../engine/util/atomic';
import { AuditError, UsageError } from '../../engine/util/errors';
import { generateStrongStimuli } from '../../probes/stimuli/generate';
import { STIMULUS_PARAMETERIZATIONS, type StimulusParameterization, type StrongStimuliParams, validateStrongStimuliParams } from '../../probes/stimuli/params';
import { intOption, numberOption, stringOption } from '../args';
import type { Command } from '../command';
import { BACKEND_FLAGS, BACKEND_USAGE, startBackend } from '../common';

const NAME = 'stimuli';

export const stimuliCommand: Command = {
  name: NAME,
  summary: "optimise one strong stimulus per class against a model and save them as PNGs",
  usage: `bias-audit stimuli --model MODEL --out DIR [options]

Optimises, for each class, an input image that maximises the model's score for that class (gradient ascent
with random jitter / zoom / rotation, L2 and total-variation penalties; Fourier and decorrelated-colour
parameterisation by default), saves DIR/class-NNN.png and DIR/stimuli.json (every parameter), and prints the
model's own confidence for each class on its saved stimulus.
  --model MODEL         model.json or its folder
  --out DIR             folder for the PNGs and stimuli.json
  --classes LIST        comma-separated class indices or names (default: every class)
  --steps N             optimisation steps (default 256)
  --score logit|logsoftmax   the score climbed (default logsoftmax)
  --seed N              seeds the start image and the random transforms (default 0)
  --lr X                Adam step size (default 0.1)
  --parameterization pixel|fourier|decorrelated|fourier-decorrelated   default fourier-decorrelated
  --jitter N            random translation in pixels (default 2)
  --scale MIN,MAX       random zoom range (default 0.9,1.1)
  --rotation DEG        random rotation in degrees (default 10)
  --l2 X                L2 penalty weight (default 0.1)
  --tv X                total-variation penalty weight (default 0.25)
  --batch-size N        classes optimised together (default 16)
${BACKEND_USAGE}`,
  spec: {
    values: ['model', 'out', 'classes', 'steps', 'score', 'seed', 'lr', 'parameterization', 'jitter', 'scale', 'rotation', 'l2', 'tv', 'batch-size', ...BACKEND_FLAGS.values],
    booleans: [...BACKEND_FLAGS.booleans],
    positionals: [0, 0],
  },
  async run(args, ctx) {
    const given = paramsFromArgs(args);
    const backend = await startBackend(args, ctx, NAME);
    const modelPath = stringOption(args, 'model', NAME);
    const outDir = resolve(stringOption(args, 'out', NAME));
    const loaded = await loadModel(modelPath);
    try {
      let params;
      try {
        ({ params } = validateStrongStimuliParams(given, { foundationClassNames: loaded.meta.classNames, foundationInputShape: loaded.meta.inputShape, fieldPath: 'stimuli' }));
      } catch (e) {
        // The command line has no config fields: name the flag instead.
        if (e instanceof AuditError && e.file?.startsWith('stimuli.')) throw new UsageError(`${NAME}: --${flagOf(e.file.slice('stimuli.'.length))}: ${e.message.replace(/^[^:]+: /, '')}`);
        throw e;
      }
      const set = await generateStrongStimuli(
        { signal: ctx.signal, log: ctx.log, progress: (done, total, detail) => ctx.progress.update(detail ?? 'optimising', done, total) },
        loaded,
        params,
        { dir: outDir, relativeDir: '' },
      );
      ctx.progress.end();
      const manifest = { model: resolve(modelPath), ...set };
      await writeJsonAtomic(join(outDir, 'stimuli.json'), manifest);
      if (ctx.json) {
        ctx.out(JSON.stringify({ out: outDir, backend, ...manifest }));
        return;
      }
      const width = Math.max(...set.stimuli.map((s) => s.className.length));
      const lines = [`${set.stimuli.length} stimuli in ${outDir} (parameters in stimuli.json); the model's own confidence per class:`];
      for (const s of set.stimuli) {
        const predicted = s.foundationPredicted === s.foundationClass ? '' : `  (predicted as ${loaded.meta.classNames[s.foundationPredicted] ?? s.foundationPredicted})`;
        lines.push(`  ${String(s.foundationClass).padStart(3)} ${s.className.padEnd(width)}  ${(100 * s.foundationConfidence).toFixed(1).padStart(5)}%  ${s.image}${predicted}`);
      }
      for (const note of set.params.notes ?? []) lines.push(`note: ${note}`);
      ctx.out(lines.join('\n'));
    } finally {
      loaded.model.dispose();
    }
  },
};

type Args = Parameters<Command['run']>[0];

function paramsFromArgs(args: Args): Partial<StrongStimuliParams> {
  const given: Partial<StrongStimuliParams> = {};
  const classes = stringOption(args, 'classes', NAME, undefined);
  if (classes !== undefined) {
    given.classes = classes
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== '')
      .map((c) => (/^\d+$/.test(c) ? Number(c) : c));
  }
  if (args.options.has('steps')) given.steps = intOption(args, 'steps', NAME, undefined, 1);
  if (args.options.has('seed')) given.seed = intOption(args, 'seed', NAME, undefined, 0);
  if (args.options.has('batch-size')) given.batchSize = intOption(args, 'batch-size', NAME, undefined, 1);
  const score = stringOption(args, 'score', NAME, undefined);
  if (score !== undefined) {
    if (score !== 'logit' && score !== 'logsoftmax') throw new UsageError(`${NAME}: --score must be logit or logsoftmax, got "${score}"`);
    given.score = score;
  }
  const parameterization = stringOption(args, 'parameterization', NAME, undefined);
  if (parameterization !== undefined) {
    if (!(STIMULUS_PARAMETERIZATIONS as readonly string[]).includes(parameterization)) {
      throw new UsageError(`${NAME}: --parameterization must be one of ${STIMULUS_PARAMETERIZATIONS.join(', ')}, got "${parameterization}"`);
    }
    given.parameterization = parameterization as StimulusParameterization;
  }
  const numbers: [string, 'learningRate' | 'jitterPixels' | 'rotationDegrees' | 'l2Penalty' | 'totalVariationPenalty'][] = [
    ['lr', 'learningRate'],
    ['jitter', 'jitterPixels'],
    ['rotation', 'rotationDegrees'],
    ['l2', 'l2Penalty'],
    ['tv', 'totalVariationPenalty'],
  ];
  for (const [flag, field] of numbers) {
    const value = numberOption(args, flag, NAME);
    if (value !== undefined) given[field] = value;
  }
  const scale = stringOption(args, 'scale', NAME, undefined);
  if (scale !== undefined) {
    const parts = scale.split(',').map(Number);
    if (parts.length !== 2 || !parts.every(Number.isFinite)) throw new UsageError(`${NAME}: --scale must be MIN,MAX, got "${scale}"`);
    given.scaleRange = [parts[0], parts[1]];
  }
  return given;
}

/** The command-line flag of a parameter, for error messages. */
function flagOf(field: string): string {
  const flags: Record<string, string> = {
    learningRate: 'lr', jitterPixels: 'jitter', rotationDegrees: 'rotation', l2Penalty: 'l2', totalVariationPenalty: 'tv', scaleRange: 'scale', batchSize: 'batch-size',
  };
  return flags[field] ?? field;
}
