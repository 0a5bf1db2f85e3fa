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
    const y = backend.allocate(xValues.length);
    backend.addon.batchNormForward(xValues, meanValues as Float32Array, varianceValues as Float32Array, offsetValues, scaleValues,
      y, channels, epsilon);
    return backend.output(x.shape, y);
  };
})();

/**
 * Inputs x, mean, variance, dy and optional scale (mean, variance, scale of shape [C] over x's last axis);
 * outputs [dx, dMean, dVariance, dScale, dOffset]: what tfjs's FusedBatchNorm gradient computes.
 */
const gradient: KernelFunc = (args) => {
  const backend = args.backend as NativeBackend;
  const { x, mean, variance, scale, dy } = args.inputs as Record<string, TensorInfo | undefined>;
  if (x === undefined || mean === undefined || variance === undefined || dy === undefined) {
    throw new Error(`${NATIVE_BATCH_NORM_GRAD}: x, mean, variance and dy are required`);
  }
  const values = [x, mean, variance, dy].map((t) => backend.floatValues(t));
  const scaleValues = scale === undefined ? null : backend.floatValues(scale);
  if (values.some((v) => v === undefined) || scaleValues === undefined) {
    throw new Error(`${NATIVE_BATCH_NORM_GRAD}: float32 inputs required`);
  }
  const [xValues, meanValues, varianceValues, dyValues] = values as Float32Array[];
  const channels = meanValues.length;
  const epsilon = (args.attrs?.varianceEpsilon as number | undefined) ?? DEFAULT_EPSILON;
  const dx = backend.allocate(xValues.length);
  const perChannelOutputs = [0, 1, 2, 3].map(() => backend.allocate(channels));
  const [dMean, dVariance, dScale, dOffset] = perChannelOutputs;
  backend.addon.batchNormBackward(xValues, meanValues, varianceValues, scaleValues, dyValues, dx, dMean, dVariance, dScale,
    dOffset, epsilon);
  return [backend.output(x.shape, dx), ...perChannelOutputs.map((v) => backend.output(mean.shape, v))];
};

/** Kernel configs for batch normalisation. */
export function batchNormKernelConfigs(): KernelConfig[] {
  return [
    { kernelName: FusedBatchNorm, backendName: NATIVE_BACKEND_NAME, kernelFunc: forward },
    { kernelName: NATIVE_BATCH_NORM_GRAD, backendName: NATIVE_BACKEND_NAME, kernelFunc: gradient },
  ];
}
