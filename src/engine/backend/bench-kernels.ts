// Times the project's wasm gradient kernels against what runs without them (the stock wasm kernel; where wasm
// has none, optionally the cpu backend's, which takes minutes), on the layer shapes of ResNet-18 at 32x32.
// For `bias-audit bench`.
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorMap } from '@tensorflow/tfjs-core';
import { registerProjectWasmKernels, restoreStockWasmKernels } from './kernels/register-wasm-kernels';
import { currentBackendInfo, type BackendInfo } from './select';

/** One convolution layer to time. */
export interface ConvBenchCase {
  name: string;
  /** [height, width, inChannels] of the layer input (the batch comes from the options). */
  input: [number, number, number];
  /** [kernelHeight, kernelWidth, inChannels, outChannels]. */
  filter: [number, number, number, number];
  stride: number;
  pad: 'same' | 'valid';
}

/** The distinct convolution shapes of a Keras-style ResNet-18 on 32x32 inputs. */
export const RESNET18_32PX_CONVS: readonly ConvBenchCase[] = [
  { name: 'conv1 7x7/2 3->64', input: [32, 32, 3], filter: [7, 7, 3, 64], stride: 2, pad: 'same' },
  { name: 'conv2 3x3/1 64->64', input: [8, 8, 64], filter: [3, 3, 64, 64], stride: 1, pad: 'same' },
  { name: 'conv3 3x3/2 64->128', input: [8, 8, 64], filter: [3, 3, 64, 128], stride: 2, pad: 'same' },
  { name: 'conv3 shortcut 1x1/2', input: [8, 8, 64], filter: [1, 1, 64, 128], stride: 2, pad: 'valid' },
  { name: 'conv3 3x3/1 128->128', input: [4, 4, 128], filter: [3, 3, 128, 128], stride: 1, pad: 'same' },
  { name: 'conv4 3x3/2 128->256', input: [4, 4, 128], filter: [3, 3, 128, 256], stride: 2, pad: 'same' },
  { name: 'conv5 3x3/1 512->512', input: [1, 1, 512], filter: [3, 3, 512, 512], stride: 1, pad: 'same' },
];

/** Median milliseconds of one kernel, with and without the project's registration. */
export interface KernelBenchRow {
  layer: string;
  kernel: string;
  /** What runs without our kernel: 'wasm stock', 'cpu backend', or 'none' (missing on wasm, cpu not timed). */
  baseline: string;
  baselineMs: number | null;
  oursMs: number;
  /** baselineMs / oursMs. */
  speedup: number | null;
}

/** Options of `benchConvGradientKernels`. */
export interface KernelBenchOptions {
  batch?: number;
  /** Timed runs per kernel after one warm-up (the median is reported). */
  repeats?: number;
  /** Time the cpu backend's kernel where wasm has none (its JS loops take minutes at batch 32). Default false. */
  cpuBaseline?: boolean;
  /** Timed runs on the cpu backend. Default 1. */
  cpuRepeats?: number;
  cases?: readonly ConvBenchCase[];
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/**
 * Times Conv2D (forward, for scale), Conv2DBackpropInput, Conv2DBackpropFilter and MaxPoolGrad, ours vs
 * the baseline, on the current wasm backend. Requires `initBackend({ backend: 'wasm' })` first; leaves the
 * project's kernels registered and the wasm backend selected.
 *
 * @example
 * await initBackend({ backend: 'wasm' });
 * const { rows } = await benchConvGradientKernels({ batch: 32 });
 * process.stderr.write(formatKernelBenchTable(rows));
 */
export async function benchConvGradientKernels(options: KernelBenchOptions = {}): Promise<{ backend: BackendInfo; batch: number; rows: KernelBenchRow[] }> {
  const backend = currentBackendInfo();
  if (backend?.name !== 'wasm') throw new Error('benchConvGradientKernels needs the wasm backend: call initBackend({ backend: "wasm" }) first');
  const batch = options.batch ?? 32;
  const repeats = options.repeats ?? 7;
  const cpuRepeats = options.cpuRepeats ?? 1;
  const log = options.log ?? (() => undefined);
  const rows: KernelBenchRow[] = [];
  try {
    for (const layer of options.cases ?? RESNET18_32PX_CONVS) {
      for (const spec of kernelSpecs(layer, batch)) {
        const ours = await timeKernel(spec, 'wasm', repeats, registerProjectWasmKernels);
        let baselineMs: number | null = null;
        let baseline = 'none';
        if (spec.stockOnWasm) {
          baselineMs = await timeKernel(spec, 'wasm', repeats, restoreStockWasmKernels);
          baseline = spec.kernelName === 'Conv2D' ? 'same kernel' : 'wasm stock';
        } else if (options.cpuBaseline === true) {
          baselineMs = await timeKernel(spec, 'cpu', cpuRepeats, () => undefined);
          baseline = 'cpu backend';
        }
        const row: KernelBenchRow = {
          layer: layer.name,
          kernel: spec.kernelName,
          baseline,
          baselineMs,
          oursMs: ours,
          speedup: baselineMs === null ? null : baselineMs / ours,
        };
        rows.push(row);
        log(formatRow(row));
      }
    }
  } finally {
    registerProjectWasmKernels();
    await tf.setBackend('wasm');
  }
  return { backend, batch, rows };
}

/** A fixed-width table of the rows, one line each, with a header. */
export function formatKernelBenchTable(rows: readonly KernelBenchRow[]): string {
  const header = `${'layer'.padEnd(24)} ${'kernel'.padEnd(22)} ${'baseline'.padEnd(12)} ${'base ms'.padStart(9)} ${'ours ms'.padStart(9)} ${'speedup'.padStart(8)}`;
  return `${[header, ...rows.map(formatRow)].join('\n')}\n`;
}

function formatRow(row: KernelBenchRow): string {
  const baselineMs = row.baselineMs === null ? '-' : row.baselineMs.toFixed(1);
  const speedup = row.speedup === null ? '-' : `${row.speedup.toFixed(2)}x`;
  return `${row.layer.padEnd(24)} ${row.kernel.padEnd(22)} ${row.baseline.padEnd(12)} ${baselineMs.padStart(9)} ${row.oursMs.toFixed(1).padStart(9)} ${speedup.padStart(8)}`;
}

interface KernelSpec {
  kernelName: string;
  /** Whether wasm has a stock kernel of this name. */
  stockOnWasm: boolean;
  /** Makes the inputs (on the current backend). */
  inputs: () => NamedTensorMap;
  attrs: NamedAttrMap;
}

function kernelSpecs(layer: ConvBenchCase, batch: number): KernelSpec[] {
  const [h, w, cin] = layer.input;
  const xShape: [number, number, number, number] = [batch, h, w, cin];
  const convAttrs = { strides: layer.stride, pad: layer.pad, dataFormat: 'NHWC', dilations: 1 };
  const probe = tf.tidy(() => tf.conv2d(tf.zeros(xShape) as tf.Tensor4D, tf.zeros(layer.filter) as tf.Tensor4D, layer.stride, layer.pad));
  const dyShape = probe.shape;
  probe.dispose();
  const specs: KernelSpec[] = [
    {
      kernelName: 'Conv2D',
      stockOnWasm: true,
      inputs: () => ({ x: tf.randomNormal(xShape), filter: tf.randomNormal(layer.filter) }),
      attrs: convAttrs,
    },
    {
      kernelName: 'Conv2DBackpropInput',
      stockOnWasm: true,
      inputs: () => ({ dy: tf.randomNormal(dyShape), filter: tf.randomNormal(layer.filter) }),
      attrs: { ...convAttrs, inputShape: xShape },
    },
    {
      kernelName: 'Conv2DBackpropFilter',
      stockOnWasm: false,
      inputs: () => ({ x: tf.randomNormal(xShape), dy: tf.randomNormal(dyShape) }),
      attrs: { ...convAttrs, filterShape: layer.filter },
    },
  ];
  if (layer.stride === 2 && layer.filter[0] === 7) {
    // The stem's max pool (3x3 stride 2) follows this layer.
    const pooledIn: [number, number, number, number] = [batch, dyShape[1], dyShape[2], layer.filter[3]];
    const pooledOut = [batch, Math.ceil(pooledIn[1] / 2), Math.ceil(pooledIn[2] / 2), pooledIn[3]];
    specs.push({
      kernelName: 'MaxPoolGrad',
      stockOnWasm: true,
      inputs: () => ({ dy: tf.randomNormal(pooledOut), input: tf.randomNormal(pooledIn), output: tf.randomNormal(pooledOut) }),
      attrs: { filterSize: 3, strides: 2, pad: 'same' },
    });
  }
  return specs;
}

async function timeKernel(spec: KernelSpec, backendName: 'wasm' | 'cpu', repeats: number, prepare: () => void): Promise<number> {
  await tf.setBackend(backendName);
  prepare();
  const inputs = spec.inputs();
  const times: number[] = [];
  try {
    for (let run = 0; run <= repeats; run++) {
      const start = performance.now();
      const out = tf.engine().runKernel(spec.kernelName, inputs, spec.attrs) as tf.Tensor;
      out.dataSync();
      const elapsed = performance.now() - start;
      out.dispose();
      if (run > 0) times.push(elapsed);
    }
  } finally {
    tf.dispose(Object.values(inputs));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
