// Benchmark of the native backend against wasm and PyTorch CPU on the project's networks (small ResNet and
// ResNet-18 at 32x32): images/s for training and inference, steps/s for input gradients. PyTorch runs the
// same networks through scripts/bench-torch.py (Debian's python3-torch) in the same run. `npm run bench`
// calls `benchNative`; `node out/src/engine/backend/bench-native.js --help` runs it alone.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { inputGradient } from '../gradients';
import { logits } from '../outputs';
import { buildResNet18 } from '../model/builders/resnet';
import { buildSmallResNet } from '../model/builders/small-resnet';
import { createOptimizer, type Param } from '../train/optimizer';
import { trainStep } from '../train/trainer';
import { DEFAULT_SPIN_COUNT } from './native-addon';
import { type BackendInfo, initBackend } from './select';
import { loadWebgpuBackend } from './webgpu-backend';

export type BenchModel = 'small_resnet' | 'resnet18';
export type BenchWork = 'train' | 'infer' | 'input-gradient';
export type BenchBackend = 'native' | 'wasm' | 'cpu' | 'webgpu';

export interface NativeBenchOptions {
  /** tfjs backends to time; default native and wasm. */
  backends?: BenchBackend[];
  models?: BenchModel[];
  works?: BenchWork[];
  /** Batch of training and inference; default 32. */
  batchSize?: number;
  /** Batch of input gradients; default 16. */
  gradientBatchSize?: number;
  /** Threads of every backend, PyTorch included; default every core. */
  threads?: number;
  /** Each measurement runs at least this long and at least `minSteps` steps (default 3 s, 3 steps, at most 30). */
  minSeconds?: number;
  minSteps?: number;
  maxSteps?: number;
  /**
   * Rounds of alternating native and PyTorch blocks of steps (default 10): both sides sample the same minutes
   * of a shared machine, whose speed drifts by tens of percent, so their ratio holds where two separate
   * measurements would not.
   */
  rounds?: number;
  /** Time PyTorch too (default true); a missing python3-torch gives a note, not a failure. */
  torch?: boolean;
  python?: string;
  /** Progress and notes (default: stderr). */
  log?: (line: string) => void;
}

export interface NativeBenchRow {
  model: BenchModel;
  work: BenchWork;
  /** 'native', 'wasm', 'cpu' or 'torch'. */
  backend: string;
  batchSize: number;
  /** Median wall-clock milliseconds per step. */
  msPerStep: number;
  /**
   * Mean CPU milliseconds per step, all threads of the process (spinning OpenMP workers included). With one
   * thread it is a load-robust measure of work: on a busy machine wall time also counts waiting for a core.
   */
  cpuMsPerStep: number;
  imagesPerSecond: number;
  stepsPerSecond: number;
  steps: number;
  /** Speed relative to PyTorch on the same row (torch ms / this ms: above 1 is faster), when PyTorch ran. */
  vsTorch?: number;
  /** The same ratio in CPU time (torch CPU ms / this CPU ms). */
  cpuVsTorch?: number;
  /** Backend line (library, threads) or PyTorch's version and memory format. */
  detail: string;
  /** 1-minute load average when the row was measured: other work on the machine skews timings. */
  loadAverage: number;
}

const IMAGE_SHAPE: [number, number, number] = [32, 32, 3];
const CLASSES = 10;

function buildModel(model: BenchModel): tfl.LayersModel {
  return model === 'resnet18'
    ? buildResNet18({ inputShape: IMAGE_SHAPE, numClasses: CLASSES, seed: 1 })
    : buildSmallResNet({ inputShape: IMAGE_SHAPE, numClasses: CLASSES, seed: 1 });
}

/** Returns one step of `work` and a disposer for what the steps share. */
// Steps read their result with `await data()`: the webgpu backend cannot read synchronously in Node.
function makeStep(model: tfl.LayersModel, work: BenchWork, batch: number): { step: () => Promise<void>; dispose: () => void } {
  const x = tf.randomNormal([batch, ...IMAGE_SHAPE], 0, 1, 'float32', 1) as tf.Tensor4D;
  if (work === 'train') {
    const labels = tf.randomUniform([batch], 0, CLASSES, 'int32', 2) as tf.Tensor1D;
    // The trainer's own step (src/engine/train/trainer.ts, on native the compiled graph of native-graph.ts)
    // with the project's SGD with momentum 0.9 (PyTorch's form, as the PyTorch side runs it; no weight
    // decay on either side).
    const optimizer = createOptimizer({ kind: 'sgd', momentum: 0.9, weightDecay: 0 });
    const params: Param[] = model.trainableWeights.map((w) => ({ key: w.originalName, variable: w.read() as tf.Variable }));
    return {
      step: async () => {
        await trainStep(model, params, optimizer, x, labels, undefined, CLASSES, 0.01);
      },
      dispose: () => { tf.dispose([x, labels]); optimizer.dispose(); },
    };
  }
  if (work === 'infer') {
    return {
      step: async () => {
        const z = tf.tidy(() => logits(model, x, false));
        await z.data();
        z.dispose();
      },
      dispose: () => x.dispose(),
    };
  }
  return {
    step: async () => {
      const { gradient, scores } = inputGradient(model, x, 3, { score: 'logit' });
      await gradient.data();
      tf.dispose([gradient, scores]);
    },
    dispose: () => x.dispose(),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Wall-clock milliseconds of one step. */
async function stepMs(step: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await step();
  return performance.now() - t0;
}

/** A row's speed fields from its batch and median milliseconds per step. */
function speed(batch: number, ms: number): Pick<NativeBenchRow, 'msPerStep' | 'imagesPerSecond' | 'stepsPerSecond'> {
  return { msPerStep: ms, imagesPerSecond: (batch * 1000) / ms, stepsPerSecond: 1000 / ms };
}

async function timeSteps(step: () => Promise<void>, minSeconds: number, minSteps: number, maxSteps: number): Promise<{ ms: number; cpuMs: number; steps: number }> {
  for (let i = 0; i < 2; i++) await step(); // warm-up: primitive creation, shader compilation, JIT, first allocations
  const times: number[] = [];
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  while (times.length < maxSteps && (times.length < minSteps || performance.now() - started < minSeconds * 1000)) {
    times.push(await stepMs(step));
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { ms: median(times), cpuMs: (cpu.user + cpu.system) / 1000 / times.length, steps: times.length };
}

/** scripts/bench-torch.py, searched upward from this file (out/, dist/ or the source tree). */
function findTorchScript(): string | undefined {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'scripts', 'bench-torch.py');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

interface TorchReport {
  torch: string;
  threads: number;
  rows: { model: BenchModel; work: BenchWork; batchSize: number; msPerStep: number; cpuMsPerStep: number; steps: number; memoryFormat: string }[];
}

/** A PyTorch row with what produced it: the OpenMP settings and memory format that were fastest. */
interface TorchRow extends NativeBenchRow {
  openMp: Record<string, string>;
  memoryFormat: string;
  /** 'PyTorch <version>, <n> threads'. */
  version: string;
}

/** The row's detail line: version, memory format, OpenMP settings, and how it was timed when interleaved. */
function torchDetail(row: Pick<TorchRow, 'version' | 'memoryFormat' | 'openMp'>, interleaved: boolean): string {
  const policy = Object.entries(row.openMp).map(([k, v]) => `${k}=${v}`).join(' ') || 'OpenMP default wait policy';
  return `${row.version}, ${row.memoryFormat}, ${policy}${interleaved ? ', interleaved with native' : ''}`;
}

async function runTorchOnce(options: BenchSettings, script: string, openMpEnv: Record<string, string>): Promise<TorchRow[]> {
  const args = [script, '--models', options.models.join(','), '--works', options.works.join(','), '--batch', String(options.batchSize),
    '--gradient-batch', String(options.gradientBatchSize), '--threads', String(options.threads), '--min-seconds', String(options.minSeconds),
    '--min-steps', String(options.minSteps), '--max-steps', String(options.maxSteps)];
  const env = { ...process.env, ...openMpEnv };
  const { stdout } = await promisify(execFile)(options.python, args, { maxBuffer: 16 * 1024 * 1024, env });
  const report = JSON.parse(stdout) as TorchReport;
  const loadAverage = os.loadavg()[0];
  return report.rows.map((row) => {
    const identity = { version: `PyTorch ${report.torch}, ${report.threads} threads`, memoryFormat: row.memoryFormat, openMp: openMpEnv };
    return { ...row, ...speed(row.batchSize, row.msPerStep), backend: 'torch', ...identity, detail: torchDetail(identity, false), loadAverage };
  });
}

/**
 * PyTorch at its best: timed with OpenMP's default wait policy (spin about 3 ms), with passive workers, and
 * with the short spin the native backend uses, keeping the fastest per row (with contiguous or
 * channels-last memory, whichever is faster, chosen inside the script).
 */
async function runTorch(options: BenchSettings, script: string, log: (line: string) => void): Promise<TorchRow[]> {
  try {
    const best = new Map<string, TorchRow>();
    const openMpSettings: Record<string, string>[] = [{}, { OMP_WAIT_POLICY: 'PASSIVE' }, { GOMP_SPINCOUNT: String(DEFAULT_SPIN_COUNT) }];
    for (const policy of openMpSettings) {
      for (const row of await runTorchOnce(options, script, policy)) {
        const key = `${row.model} ${row.work}`;
        const previous = best.get(key);
        if (previous === undefined || row.msPerStep < previous.msPerStep) best.set(key, row);
      }
    }
    for (const row of best.values()) log(`bench: torch ${row.model} ${row.work}: ${row.msPerStep.toFixed(1)} ms/step alone (${row.detail})`);
    return [...best.values()];
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    log(`bench: PyTorch skipped (${options.python} scripts/bench-torch.py failed: ${message}); install Debian's python3-torch to compare`);
    return [];
  }
}

type BenchSettings = Required<Omit<NativeBenchOptions, 'log' | 'backends'>>;

/** Starts a backend to time; webgpu is not a user-selectable backend (see webgpu-backend.ts), so it starts here. */
async function startBenchBackend(backend: BenchBackend, threads: number, log: (line: string) => void): Promise<BackendInfo | undefined> {
  if (backend !== 'webgpu') return initBackend({ backend, threads, log });
  const outcome = await loadWebgpuBackend();
  if (!outcome.ok) {
    log(`bench: webgpu skipped: ${outcome.reason}`);
    return undefined;
  }
  log(`backend: ${outcome.detail}`);
  return { name: 'webgpu', threads: outcome.threads, simd: false, detail: outcome.detail };
}

async function measureBackend(backend: BenchBackend, settings: BenchSettings, log: (line: string) => void): Promise<NativeBenchRow[]> {
  const info = await startBenchBackend(backend, settings.threads, log);
  if (info === undefined) return [];
  const rows: NativeBenchRow[] = [];
  for (const modelName of settings.models) {
    const model = buildModel(modelName);
    try {
      for (const work of settings.works) {
        const batch = work === 'input-gradient' ? settings.gradientBatchSize : settings.batchSize;
        const { step, dispose } = makeStep(model, work, batch);
        try {
          const { ms, cpuMs, steps } = await timeSteps(step, settings.minSeconds, settings.minSteps, settings.maxSteps);
          rows.push({
            model: modelName, work, backend: info.name, batchSize: batch, ...speed(batch, ms), cpuMsPerStep: cpuMs, steps, detail: info.detail,
            loadAverage: os.loadavg()[0],
          });
          log(`bench: ${info.name} ${modelName} ${work}: ${ms.toFixed(1)} ms/step`);
        } finally {
          dispose();
        }
      }
    } finally {
      model.dispose();
    }
  }
  return rows;
}

/** A PyTorch process (scripts/bench-torch.py --serve) that runs blocks of steps on request. */
class TorchServer {
  private readonly lines: AsyncIterator<string>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static start(options: BenchSettings, script: string, openMp: Record<string, string>): TorchServer {
    const args = [script, '--serve', '--threads', String(options.threads), '--batch', String(options.batchSize),
      '--gradient-batch', String(options.gradientBatchSize)];
    const child = spawn(options.python, args, { env: { ...process.env, ...openMp }, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr.resume();
    // A failed start shows as the output ending (run() then throws); without a listener it would crash the process.
    child.on('error', () => undefined);
    return new TorchServer(child);
  }

  async run(model: BenchModel, work: BenchWork, format: string, steps: number): Promise<{ times: number[]; cpuMs: number }> {
    this.child.stdin.write(`${JSON.stringify({ model, work, format, steps })}\n`);
    const line = await this.lines.next();
    if (line.done === true) throw new Error(`the PyTorch process exited (code ${this.child.exitCode ?? 'none'})`);
    return JSON.parse(line.value) as { times: number[]; cpuMs: number };
  }

  close(): void {
    this.child.stdin.end();
  }
}

/** About this long per block of steps, so a round samples both sides within a second or two. */
const BLOCK_MS = 400;

/**
 * Native and PyTorch timed in alternating blocks of steps, `rounds` times per row: the native rows, and the
 * PyTorch rows updated with the interleaved timings. PyTorch runs with the OpenMP settings that were fastest
 * alone (`torchRows`), in both memory formats (a block each per round), the faster one counting.
 */
async function measureInterleaved(settings: BenchSettings, torchRows: TorchRow[], script: string, log: (line: string) => void): Promise<NativeBenchRow[]> {
  const info = await startBenchBackend('native', settings.threads, log);
  if (info === undefined) return [];
  const servers = new Map<string, TorchServer>();
  const rows: NativeBenchRow[] = [];
  try {
    for (const modelName of settings.models) {
      const model = buildModel(modelName);
      try {
        for (const work of settings.works) {
          const torch = torchRows.find((r) => r.model === modelName && r.work === work);
          if (torch === undefined) throw new Error(`PyTorch gave no ${modelName} ${work} row to interleave with`);
          const policyKey = JSON.stringify(torch.openMp);
          let server = servers.get(policyKey);
          if (server === undefined) {
            server = TorchServer.start(settings, script, torch.openMp);
            servers.set(policyKey, server);
          }
          const batch = work === 'input-gradient' ? settings.gradientBatchSize : settings.batchSize;
          const { step, dispose } = makeStep(model, work, batch);
          try {
            for (let i = 0; i < 2; i++) await step();
            const estimate = Math.max(await stepMs(step), torch.msPerStep);
            const blockSteps = Math.min(20, Math.max(1, Math.round(BLOCK_MS / estimate)));
            // PyTorch in both memory formats, each a block per round: the faster format counts, as alone.
            const formats = ['channels_last', 'contiguous'];
            for (const format of formats) await server.run(modelName, work, format, 1); // warm-up of each workload
            const nativeTimes: number[] = [];
            const torchTimes = new Map<string, { times: number[]; cpuMs: number }>(formats.map((f) => [f, { times: [], cpuMs: 0 }]));
            let nativeCpuMs = 0;
            for (let round = 0; round < settings.rounds; round++) {
              const cpuBefore = process.cpuUsage();
              for (let i = 0; i < blockSteps; i++) nativeTimes.push(await stepMs(step));
              const cpu = process.cpuUsage(cpuBefore);
              nativeCpuMs += (cpu.user + cpu.system) / 1000;
              for (const format of formats) {
                const block = await server.run(modelName, work, format, blockSteps);
                const entry = torchTimes.get(format) as { times: number[]; cpuMs: number };
                entry.times.push(...block.times);
                entry.cpuMs += block.cpuMs;
              }
            }
            const [bestFormat, bestTorch] = [...torchTimes].sort((a, b) => median(a[1].times) - median(b[1].times))[0];
            const loadAverage = os.loadavg()[0];
            const nativeMs = median(nativeTimes);
            const torchMs = median(bestTorch.times);
            rows.push({
              model: modelName, work, backend: info.name, batchSize: batch, ...speed(batch, nativeMs), cpuMsPerStep: nativeCpuMs / nativeTimes.length,
              steps: nativeTimes.length, detail: info.detail, loadAverage,
            });
            Object.assign(torch, {
              ...speed(batch, torchMs), cpuMsPerStep: bestTorch.cpuMs / bestTorch.times.length, steps: bestTorch.times.length, loadAverage,
              memoryFormat: bestFormat, detail: torchDetail({ ...torch, memoryFormat: bestFormat }, true),
            });
            log(`bench: ${modelName} ${work}: native ${nativeMs.toFixed(1)} ms/step, torch ${torchMs.toFixed(1)} ms/step, ` +
              `interleaved ${settings.rounds} rounds of ${blockSteps} steps`);
          } finally {
            dispose();
          }
        }
      } finally {
        model.dispose();
      }
    }
  } finally {
    for (const server of servers.values()) server.close();
  }
  return rows;
}

/**
 * Times training, inference and input gradients of the small ResNet and ResNet-18 (32x32) on the native and
 * wasm backends and on PyTorch CPU, and returns one row per (model, work, backend) with images/s, steps/s
 * and the ratio to PyTorch. Leaves the last benchmarked backend active.
 *
 * @example
 * const rows = await benchNative({ models: ['resnet18'], works: ['train'] });
 * process.stderr.write(formatNativeBench(rows));
 */
export async function benchNative(options: NativeBenchOptions = {}): Promise<NativeBenchRow[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const settings = {
    models: options.models ?? ['small_resnet', 'resnet18'],
    works: options.works ?? ['train', 'infer', 'input-gradient'],
    batchSize: options.batchSize ?? 32,
    gradientBatchSize: options.gradientBatchSize ?? 16,
    threads: options.threads ?? os.availableParallelism(),
    minSeconds: options.minSeconds ?? 3,
    minSteps: options.minSteps ?? 3,
    maxSteps: options.maxSteps ?? 30,
    torch: options.torch ?? true,
    python: options.python ?? '/usr/bin/python3',
    rounds: options.rounds ?? 10,
  };
  log(`bench: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), load average ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  const best = new Map<string, NativeBenchRow>();
  const keepFaster = (measured: NativeBenchRow[]): void => {
    for (const row of measured) {
      const key = `${row.backend} ${row.model} ${row.work}`;
      const previous = best.get(key);
      if (previous === undefined || row.msPerStep < previous.msPerStep) best.set(key, row);
    }
  };
  const backends = options.backends ?? ['native', 'wasm'];
  // PyTorch alone first, with each OpenMP wait policy and memory format, to find its fastest settings; then
  // native and PyTorch in alternating blocks (measureInterleaved), which gives the rows their ratio. The
  // slow backends (wasm, cpu) run once, compared with the interleaved PyTorch timing.
  const script = settings.torch ? findTorchScript() : undefined;
  if (settings.torch && script === undefined) log('bench: PyTorch skipped: scripts/bench-torch.py not found');
  const torchRows = script === undefined ? [] : await runTorch(settings, script, log);
  keepFaster(torchRows);
  if (backends.includes('native')) {
    keepFaster(script !== undefined && torchRows.length > 0
      ? await measureInterleaved(settings, torchRows, script, log)
      : await measureBackend('native', settings, log));
  }
  for (const backend of backends.filter((b) => b !== 'native')) keepFaster(await measureBackend(backend, settings, log));
  const order = ['torch', ...backends];
  const rows = [...best.values()].sort((a, b) => order.indexOf(a.backend) - order.indexOf(b.backend));
  for (const row of rows) {
    const torch = rows.find((r) => r.backend === 'torch' && r.model === row.model && r.work === row.work && r.batchSize === row.batchSize);
    if (torch !== undefined) {
      row.vsTorch = torch.msPerStep / row.msPerStep;
      row.cpuVsTorch = torch.cpuMsPerStep / row.cpuMsPerStep;
    }
  }
  return rows;
}

/** A plain-text table of the rows (one per line). */
export function formatNativeBench(rows: NativeBenchRow[]): string {
  const header = ['model', 'work', 'backend', 'batch', 'ms/step', 'images/s', 'steps/s', 'vs PyTorch', 'cpu ms/step', 'cpu vs PyTorch', 'load'];
  const lines = rows.map((r) => [r.model, r.work, r.backend, String(r.batchSize), r.msPerStep.toFixed(1), r.imagesPerSecond.toFixed(1),
    r.stepsPerSecond.toFixed(2), r.vsTorch === undefined ? '-' : `${r.vsTorch.toFixed(2)}x`, r.cpuMsPerStep.toFixed(1),
    r.cpuVsTorch === undefined ? '-' : `${r.cpuVsTorch.toFixed(2)}x`, r.loadAverage.toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return [header, ...lines].map((l) => l.map((cell, i) => cell.padEnd(widths[i])).join('  ')).join('\n') + '\n';
}

function parseList<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',') as T[];
  for (const item of items) if (!allowed.includes(item)) throw new Error(`${flag}: unknown value '${item}' (choose from ${allowed.join(', ')})`);
  return items;
}

async function main(argv: string[]): Promise<void> {
  const flag = (name: string): string | undefined => {
    const index = argv.indexOf(name);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  if (argv.includes('--help')) {
    process.stdout.write('usage: bench-native [--models small_resnet,resnet18] [--works train,infer,input-gradient] ' +
      '[--backends native,wasm,cpu,webgpu] [--threads N] [--batch 32] [--gradient-batch 16] [--min-seconds 3] [--rounds 2] [--no-torch] [--json]\n');
    return;
  }
  const number = (name: string): number | undefined => (flag(name) === undefined ? undefined : Number(flag(name)));
  const rows = await benchNative({
    models: parseList(flag('--models'), ['small_resnet', 'resnet18'] as const, '--models'),
    works: parseList(flag('--works'), ['train', 'infer', 'input-gradient'] as const, '--works'),
    backends: parseList(flag('--backends'), ['native', 'wasm', 'cpu', 'webgpu'] as const, '--backends'),
    threads: number('--threads'), batchSize: number('--batch'), gradientBatchSize: number('--gradient-batch'),
    minSeconds: number('--min-seconds'), rounds: number('--rounds'), torch: !argv.includes('--no-torch'),
  });
  // Run as a program, the table is this tool's output: stdout.
  process.stdout.write(argv.includes('--json') ? `${JSON.stringify(rows, null, 2)}\n` : formatNativeBench(rows));
}

// Only when this file itself is the script: inside a bundle (dist/cli.js) `require.main === module` holds for every module.
if (require.main === module && /bench-native\.js$/.test(__filename)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`bench-native: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
