import { benchDemoAudit, formatAuditBenchTable } from '../../audit/bench';
import { benchConvGradientKernels, formatKernelBenchTable } from '../../engine/backend/bench-kernels';
import { type BenchBackend, type BenchModel, benchNative, formatNativeBench } from '../../engine/backend/bench-native';
import { initBackend, parseBackendChoice } from '../../engine/backend/select';
import { UsageError } from '../../engine/util/errors';
import { flag, intOption, stringOption } from '../args';
import type { Command } from '../command';

const SECTIONS = ['models', 'kernels', 'audit'] as const;
type Section = (typeof SECTIONS)[number];

export const benchCommand: Command = {
  name: 'bench',
  summary: 'measure training, inference and input-gradient speed (and PyTorch on the same machine), kernels, a demo audit',
  usage: `bias-audit bench [--only models,kernels,audit] [--backends native,wasm,cpu,webgpu] [--models small_resnet,resnet18] [--quick] [--no-torch] [--threads N] [--json]

Sections (all by default):
  models    images/s for training and inference and steps/s for input gradients (batch 16) on the small
            ResNet and ResNet-18 at 32x32, for each backend in --backends that can start, and for PyTorch CPU
            (Debian's python3-torch, when installed) in the same run, with the ratios
  kernels   the project's wasm convolution/pooling gradient kernels against the stock ones (median ms)
  audit     wall time of the full demo audit (--quick: the quick demo) and its split by step
Timings are wall-clock on a machine others may share: each row records the 1-minute load average.`,
  spec: { values: ['only', 'backends', 'models', 'threads'], booleans: ['quick', 'no-torch', 'json', 'quiet'], positionals: [0, 0] },
  async run(args, ctx) {
    const c = 'bench';
    const only = (stringOption(args, 'only', c, SECTIONS.join(',')) ?? '').split(',') as Section[];
    const unknown = only.filter((s) => !SECTIONS.includes(s));
    if (unknown.length > 0) throw new UsageError(`${c}: --only takes ${SECTIONS.join(', ')}; got ${unknown.join(', ')}`);
    const backends = (stringOption(args, 'backends', c, 'native,wasm') ?? '').split(',') as BenchBackend[];
    for (const b of backends) if (!['native', 'wasm', 'cpu', 'webgpu'].includes(b)) throw new UsageError(`${c}: --backends takes native, wasm, cpu, webgpu; got ${b}`);
    const models = (stringOption(args, 'models', c, 'small_resnet,resnet18') ?? '').split(',') as BenchModel[];
    for (const m of models) if (!['small_resnet', 'resnet18'].includes(m)) throw new UsageError(`${c}: --models takes small_resnet, resnet18; got ${m}`);
    const threads = args.options.has('threads') ? intOption(args, 'threads', c, undefined, 1) : undefined;
    const quick = flag(args, 'quick');
    const report: Record<string, unknown> = {};

    if (only.includes('models')) {
      ctx.log('== models: training, inference, input gradients ==');
      const rows = await benchNative({ backends, models, torch: !flag(args, 'no-torch'), ...(threads ? { threads } : {}), ...(quick ? { minSeconds: 1, rounds: 1 } : {}), log: ctx.log });
      report.models = rows;
      if (!ctx.json) ctx.out(formatNativeBench(rows));
    }
    if (only.includes('kernels')) {
      ctx.log('== wasm gradient kernels: stock vs project ==');
      await initBackend({ backend: 'wasm', ...(threads ? { threads } : {}), log: ctx.log });
      const kernels = await benchConvGradientKernels({ batch: quick ? 8 : 32, repeats: quick ? 2 : 5, log: ctx.log });
      report.kernels = kernels;
      if (!ctx.json) ctx.out(formatKernelBenchTable(kernels.rows));
    }
    if (only.includes('audit')) {
      ctx.log(`== demo audit${quick ? ' (quick)' : ''} ==`);
      // webgpu is for timing only (not an audit backend): an audit asked to run there runs on auto.
      const backend = parseBackendChoice(backends.includes('native') || backends[0] === 'webgpu' ? 'auto' : backends[0]);
      await initBackend({ backend, ...(threads ? { threads } : {}), log: ctx.log });
      const audit = await benchDemoAudit({ quick, log: ctx.log });
      report.audit = audit;
      if (!ctx.json) ctx.out(`demo audit on ${audit.backend}\n${formatAuditBenchTable(audit.rows)}`);
    }
    if (ctx.json) ctx.out(JSON.stringify(report));
  },
};
