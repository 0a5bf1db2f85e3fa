// Pooling kernels of the native backend (MaxPool, AvgPool and their gradients, NHWC), with the cpu
// backend's semantics: the max gradient goes to the first maximum in the window, and the average gradient
// divides by the full window size as tfjs's AvgPoolGrad does (native/src/pool.cc).
import {
  AvgPool, AvgPoolGrad, MaxPool, MaxPoolGrad, backend_util, util, type KernelConfig, type KernelFunc,
  type NamedAttrMap, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { NATIVE_BACKEND_NAME, type NativeBackend, cpuKernel } from './native-backend';

/** The addon's pooling kinds (native/src/pool.cc). */
export const MAX_POOL = 0;
export const AVERAGE_POOL = 1;
const MAX = MAX_POOL;
const AVERAGE = AVERAGE_POOL;

function poolInfo(xShape: number[], attrs: NamedAttrMap): backend_util.Conv2DInfo {
  return backend_util.computePool2DInfo(
    xShape as [number, number, number, number], attrs.filterSize as [number, number] | number,
    attrs.strides as [number, number] | number, 1, attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined);
}

/** The addon's pooling parameter list. */
export function poolParams(info: backend_util.Conv2DInfo): number[] {
  return [
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left,
  ];
}

function forwardKernel(kernelName: string, kind: number): KernelFunc {
  const fallback = cpuKernel(kernelName);
  return (args) => {
    const backend = args.backend as NativeBackend;
    const { x } = args.inputs as Record<string, TensorInfo>;
    const xValues = backend.floatValues(x);
    if (xValues === undefined || x.shape.length !== 4) return fallback(args);
    const info = poolInfo(x.shape, args.attrs ?? {});
    const y = backend.allocate(util.sizeFromShape(info.outShape));
    backend.addon.poolForward(kind, xValues, y, poolParams(info));
    return backend.output(info.outShape, y);
  };
}

function backwardKernel(kernelName: string, kind: number): KernelFunc {
  const fallback = cpuKernel(kernelName);
  return (args) => {
    const backend = args.backend as NativeBackend;
    const { dy, input } = args.inputs as Record<string, TensorInfo>;
    const dyValues = backend.floatValues(dy);
    const xValues = backend.floatValues(input);
    if (dyValues === undefined || xValues === undefined || input.shape.length !== 4) return fallback(args);
    const info = poolInfo(input.shape, args.attrs ?? {});
    const dx = backend.allocate(util.sizeFromShape(input.shape));
    backend.addon.poolBackward(kind, kind === MAX ? xValues : null, dyValues, dx, poolParams(info));
    return backend.output(input.shape, dx);
  };
}

/** Kernel configs for 2-D pooling. */
export function poolKernelConfigs(): KernelConfig[] {
  return [
    { kernelName: MaxPool, backendName: NATIVE_BACKEND_NAME, kernelFunc: forwardKernel(MaxPool, MAX) },
    { kernelName: AvgPool, backendName: NATIVE_BACKEND_NAME, kernelFunc: forwardKernel(AvgPool, AVERAGE) },
    { kernelName: MaxPoolGrad, backendName: NATIVE_BACKEND_NAME, kernelFunc: backwardKernel(MaxPoolGrad, MAX) },
    { kernelName: AvgPoolGrad, backendName: NATIVE_BACKEND_NAME, kernelFunc: backwardKernel(AvgPoolGrad, AVERAGE) },
  ];
}
