// Locates and loads the native backend's N-API addon (native/build/Release/bias_audit_native.node). The
// compiled JS runs from out/ (tests), dist/ (bundles) or an installed extension, so the addon is searched
// for upward from this file rather than at one fixed relative path.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Parameter list of a 2-D convolution, in the order native/src/conv.cc reads it. */
export type ConvParams = number[];
/** Parameter list of a pooling op, in the order native/src/pool.cc reads it. */
export type PoolParams = number[];

/** The functions the addon exports (see native/src/*.cc). Every buffer is read or written in place. */
export interface NativeAddon {
  setThreads(threads: number): void;
  getThreads(): number;
  runtimeInfo(): string;
  /**
   * `filterId`: NativeBackend.bufferId of the filter (0: no identity, always reorder). `accumulate` 1: y's
   * previous contents are added before the activation (a residual sum fused into the convolution).
   */
  conv2dForward(
    x: Float32Array, filter: Float32Array, bias: Float32Array | null, y: Float32Array, params: ConvParams, alpha: number, filterId: number,
    accumulate?: number,
  ): void;
  conv2dBackwardInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, params: ConvParams, filterId: number): void;
  conv2dBackwardFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, params: ConvParams): void;
  conv2dImplementation(params: ConvParams): string;
  matMul(a: Float32Array, b: Float32Array, bias: Float32Array | null, out: Float32Array, params: number[], alpha: number): void;
  poolForward(kind: number, x: Float32Array, y: Float32Array, params: PoolParams): void;
  poolBackward(kind: number, x: Float32Array | null, dy: Float32Array, dx: Float32Array, params: PoolParams): void;
  /** relu 1: max(y, 0) in the same pass. */
  batchNormForward(
    x: Float32Array, mean: Float32Array, variance: Float32Array, offset: Float32Array | null, scale: Float32Array | null,
    y: Float32Array, channels: number, epsilon: number, relu: number,
  ): void;
  /** dx may be null, and so may the four per-channel gradients together (then x is not read and may be null). */
  batchNormBackward(
    x: Float32Array | null, mean: Float32Array, variance: Float32Array, scale: Float32Array | null, dy: Float32Array,
    dx: Float32Array | null, dMean: Float32Array | null, dVariance: Float32Array | null, dScale: Float32Array | null,
    dOffset: Float32Array | null, epsilon: number,
  ): void;
  /**
   * The whole batch-norm gradient in training (mean and variance are x's batch statistics), dy first masked
   * by `reluY > 0` when given; dx may be null, and so may dScale and dOffset together.
   */
  batchNormTrainBackward(
    x: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array | null, dy: Float32Array,
    reluY: Float32Array | null, dx: Float32Array | null, dScale: Float32Array | null, dOffset: Float32Array | null, epsilon: number,
  ): void;
  momentsForward(x: Float32Array, mean: Float32Array, variance: Float32Array, dims: [number, number, number]): void;
  momentsBackward(
    x: Float32Array, mean: Float32Array, dMean: Float32Array | null, dVariance: Float32Array | null, dx: Float32Array, dims: [number, number, number],
  ): void;
  binary(op: number, a: Float32Array, shapeA: number[], b: Float32Array, shapeB: number[], out: Float32Array, outShape: number[] | null): void;
  unary(op: number, x: Float32Array, y: Float32Array, alpha: number): void;
  reduce(op: number, x: Float32Array, y: Float32Array, dims: [number, number, number]): void;
  /** out = value - (value - sample) * decay (a Keras moving-average update). */
  movingAverage(value: Float32Array, sample: Float32Array, out: Float32Array, decay: number): void;
  sgdUpdate(
    value: Float32Array, velocity: Float32Array | null, grad: Float32Array, newValue: Float32Array, newVelocity: Float32Array | null,
    lr: number, momentum: number, weightDecay: number, nesterov: number,
  ): void;
}

/** File name node-gyp gives the addon (target_name in native/binding.gyp). */
export const ADDON_FILE = join('native', 'build', 'Release', 'bias_audit_native.node');

/** How to build the addon, for messages shown when it is missing. */
export const BUILD_HINT =
  'install the build tools and oneDNN (apt-get install libdnnl-dev g++ make python3), then run `npm run build:native`';

/** The addon path: $BIAS_AUDIT_NATIVE_ADDON when set, else the first native/build/Release/... above this file. */
export function findAddonPath(): string | undefined {
  const override = process.env.BIAS_AUDIT_NATIVE_ADDON;
  if (override !== undefined && override !== '') return existsSync(override) ? override : undefined;
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, ADDON_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** libgomp spin iterations before an idle worker sleeps (about 100 per microsecond): about 0.3 ms. */
export const DEFAULT_SPIN_COUNT = 30000;

/** How OpenMP's idle workers wait, as the environment sets it, for the backend's detail line. */
function waitPolicyOf(env: NodeJS.ProcessEnv): string {
  const parts = [];
  if (env.OMP_WAIT_POLICY !== undefined) parts.push(`OMP_WAIT_POLICY=${env.OMP_WAIT_POLICY}`);
  if (env.GOMP_SPINCOUNT !== undefined) parts.push(`GOMP_SPINCOUNT=${env.GOMP_SPINCOUNT}`);
  return parts.length > 0 ? parts.join(' ') : 'OpenMP default wait policy';
}

export type AddonLoad =
  | { ok: true; addon: NativeAddon; path: string; /** OpenMP's wait policy as the addon loaded it. */ waitPolicy: string }
  | { ok: false; reason: string };

let cached: AddonLoad | undefined;

/** Loads the addon once per process; never throws. */
export function loadAddon(): AddonLoad {
  if (cached !== undefined) return cached;
  const path = findAddonPath();
  if (path === undefined) {
    cached = { ok: false, reason: `the native addon is not built (${ADDON_FILE} not found): ${BUILD_HINT}` };
    return cached;
  }
  // OpenMP (libgomp, loaded with the addon) reads its wait policy once, at load. By default its idle
  // workers spin for about 3 ms before sleeping: on a machine whose other cores are busy that makes every
  // parallel region wait for descheduled spinners (measured here: ResNet-18 training 2x slower with one core
  // taken by another process), while sleeping at once (passive) costs a wake-up per region on an idle
  // machine (inference 25% slower). A short spin, about 0.3 ms, measured best of both; explicit
  // OMP_WAIT_POLICY or GOMP_SPINCOUNT settings from the user win.
  const userSet = process.env.OMP_WAIT_POLICY !== undefined || process.env.GOMP_SPINCOUNT !== undefined;
  if (!userSet) process.env.GOMP_SPINCOUNT = String(DEFAULT_SPIN_COUNT);
  try {
    // A plain require of a computed path: bundlers leave it alone and Node loads the .node file.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a .node addon can only be required
    const addon = require(path) as NativeAddon;
    cached = { ok: true, addon, path, waitPolicy: waitPolicyOf(process.env) };
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    cached = { ok: false, reason: `the native addon failed to load (${message}): ${BUILD_HINT}` };
  } finally {
    // Only libgomp should see it; child processes (PyTorch in the benchmark) get the user's environment.
    if (!userSet) delete process.env.GOMP_SPINCOUNT;
  }
  return cached;
}
