// Batch normalisation on the native backend: the FusedBatchNorm forward kernel, and NativeBatchNormGrad, a
// kernel of our own that returns all five FusedBatchNorm gradients from one pass over x and dy
// (native/src/batchnorm.cc). native-gradients.ts routes tfjs's FusedBatchNorm gradient to it.
import { FusedBatchNorm, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { NATIVE_BACKEND_NAME, type NativeBackend, cpuKernel } from './native-backend';
import { convOutput, foldBatchNorm, pendingConvOf } from './native-fusion';

/** Name of the fused gradient kernel (registered for the native backend only). */
export const NATIVE_BATCH_NORM_GRAD = 'NativeBatchNormGrad';

/** tfjs's default when the attribute is missing (cpu kernel). */
const DEFAULT_EPSILON = 0.001;

function perChannel(values: Float32Array | undefined, channels: number): boolean {
  return values !== undefined && (values.length === 1 || values.length === channels);
}

const forward: KernelFunc = (() => {
  const fallback = cpuKernel(FusedBatchNorm);
  return (args) => {
    const backend = args.backend as NativeBackend;
    const { x, mean, variance, offset, scale } = args.inputs as Record<string, TensorInfo | undefined>;
    if (x === undefined || mean === undefined || variance === undefined) return fallback(args);
    const channels = x.shape[x.shape.length - 1];
    // Before x's values are read: a pending convolution (inference) takes the normalisation as its own.
    const conv = pendingConvOf(backend, x);
    const xValues = conv !== undefined ? conv.x : backend.floatValues(x);
    const meanValues = backend.floatValues(mean);
    const varianceValues = backend.floatValues(variance);
    const offsetValues = offset === undefined ? null : backend.floatValues(offset);
    const scaleValues = scale === undefined ? null : backend.floatValues(scale);
    // The cpu kernel cycles each parameter along the flat data; that is per-channel exactly when a
    // parameter has 1 or C values, the cases taken here.
    if (xValues === undefined || x.shape.length < 1 || !perChannel(meanValues, channels) || !perChannel(varianceValues, channels)
      || offsetValues === undefined || scaleValues === undefined
      || (offsetValues !== null && !perChannel(offsetValues, channels))
      || (scaleValues !== null && !perChannel(scaleValues, channels))) {
      return fallback(args);
    }
    const epsilon = (args.attrs?.varianceEpsilon as number | undefined) ?? DEFAULT_EPSILON;
    if (conv !== undefined) {
      return convOutput(backend, foldBatchNorm(backend, conv, meanValues as Float32Array, varianceValues as Float32Array, offsetValues,
        scaleValues, epsilon));
    }
    // Deferred: a following ReLU computes both in one pass (native-kernels-elementwise.ts) and, since ReLU's
    // gradient reads its output, nothing may ever read this one (training's conv -> BN -> ReLU).
    const norm: PendingBatchNorm = {
      kind: 'pendingBatchNorm', x: xValues, mean: meanValues as Float32Array, variance: varianceValues as Float32Array,
      offset: offsetValues, scale: scaleValues, channels, epsilon,
    };
    const inputs = [xValues, meanValues, varianceValues, offsetValues, scaleValues].filter((v): v is Float32Array => v instanceof Float32Array);
    return backend.deferredOutput(x.shape, inputs, () => runBatchNorm(backend, norm, false), norm);
  };
})();

/** A batch normalisation not computed yet (FusedBatchNorm's deferred output). */
export interface PendingBatchNorm {
  readonly kind: 'pendingBatchNorm';
  readonly x: Float32Array;
  readonly mean: Float32Array;
  readonly variance: Float32Array;
  readonly offset: Float32Array | null;
  readonly scale: Float32Array | null;
  readonly channels: number;
  readonly epsilon: number;
}

/** The pending batch norm behind a tensor whose values nothing has read, else undefined. */
export function pendingBatchNormOf(backend: NativeBackend, x: TensorInfo): PendingBatchNorm | undefined {
  const tag = backend.pendingTag(x);
  return typeof tag === 'object' && tag !== null && (tag as { kind?: unknown }).kind === 'pendingBatchNorm' ? (tag as PendingBatchNorm) : undefined;
}

/** Computes a pending batch norm into a new buffer, with a ReLU in the same pass when `relu`. */
export function runBatchNorm(backend: NativeBackend, norm: PendingBatchNorm, relu: boolean): Float32Array {
  const y = backend.allocate(norm.x.length);
  backend.addon.batchNormForward(norm.x, norm.mean, norm.variance, norm.offset, norm.scale, y, norm.channels, norm.epsilon, relu ? 1 : 0);
  return y;
}

/**
 * Inputs x, mean, variance, dy and optional scale (mean, variance, scale of shape [C] over x's last axis);
 * outputs [dx, dMean, dVariance, dScale, dOffset]: what tfjs's FusedBatchNorm gradient computes. Every
 * output is deferred: an input gradient through fixed statistics reads only dx, computed from dy alone
 * without reading x (which may be a fused convolution's intermediate never computed, native-fusion.ts);
 * training reads them all, and the first per-channel read computes dx in the same pass when still due.
 */
const gradient: KernelFunc = (args) => {
  const backend = args.backend as NativeBackend;
  const { x, mean, variance, scale, dy } = args.inputs as Record<string, TensorInfo | undefined>;
  if (x === undefined || mean === undefined || variance === undefined || dy === undefined) {
    throw new Error(`${NATIVE_BATCH_NORM_GRAD}: x, mean, variance and dy are required`);
  }
  // x's values are not read here: x may be pending (a fused convolution's intermediate, see below).
  const recipe = backend.pendingRecipe(x);
  const xValues = recipe === undefined ? backend.floatValues(x) : undefined;
  const values = [mean, variance, dy].map((t) => backend.floatValues(t));
  const scaleValues = scale === undefined ? null : backend.floatValues(scale);
  if (x.dtype !== 'float32' || (recipe === undefined && xValues === undefined) || values.some((v) => v === undefined) || scaleValues === undefined) {
    throw new Error(`${NATIVE_BATCH_NORM_GRAD}: float32 inputs required`);
  }
  const [meanValues, varianceValues, dyValues] = values as Float32Array[];
  const channels = meanValues.length;
  const epsilon = (args.attrs?.varianceEpsilon as number | undefined) ?? DEFAULT_EPSILON;
  let dx: Float32Array | undefined;
  let perChannel: Float32Array[] | undefined;
  const inputDx = (): Float32Array => {
    if (dx === undefined) {
      dx = backend.allocate(dyValues.length);
      backend.addon.batchNormBackward(null, meanValues, varianceValues, scaleValues, dyValues, dx, null, null, null, null, epsilon);
    }
    return dx;
  };
  // x is needed only by the per-channel gradients, which may be read after x's tensor is gone (the optimizer
  // reads scale and offset gradients after the tape is disposed): its buffer is pinned until then. A pending
  // x (a fused convolution's intermediate) is not computed now; its recipe runs if those gradients are read.
  const xBuffers = recipe?.inputs ?? [xValues as Float32Array];
  const channelGradients = (): Float32Array[] => {
    if (perChannel === undefined) {
      const xData = recipe === undefined ? (xValues as Float32Array) : recipe.compute();
      const outputs = [0, 1, 2, 3].map(() => new Float32Array(channels));
      const writeDx = dx === undefined;
      if (writeDx) dx = backend.allocate(dyValues.length);
      backend.addon.batchNormBackward(xData, meanValues, varianceValues, scaleValues, dyValues, writeDx ? (dx as Float32Array) : null,
        outputs[0], outputs[1], outputs[2], outputs[3], epsilon);
      perChannel = outputs;
    }
    return perChannel;
  };
  // Every output keeps dy, the statistics and scale from reuse until read; the per-channel ones x's too.
  const common = scaleValues === null ? [meanValues, varianceValues, dyValues] : [meanValues, varianceValues, dyValues, scaleValues];
  return [
    backend.deferredOutput(x.shape, common, inputDx),
    ...[0, 1, 2, 3].map((i) => backend.deferredOutput(mean.shape, [...common, ...xBuffers], () => channelGradients()[i])),
  ];
};

/** Kernel configs for batch normalisation. */
export function batchNormKernelConfigs(): KernelConfig[] {
  return [
    { kernelName: FusedBatchNorm, backendName: NATIVE_BACKEND_NAME, kernelFunc: forward },
    { kernelName: NATIVE_BATCH_NORM_GRAD, backendName: NATIVE_BACKEND_NAME, kernelFunc: gradient },
  ];
}
