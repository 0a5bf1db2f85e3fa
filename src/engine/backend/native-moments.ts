// tf.moments as one native kernel on the native backend. tfjs-layers' BatchNormalization computes its batch
// statistics in training with tf.moments, which tfjs composes from mean, sub, square and mean (and their
// gradients from six more full-size ops); on a ResNet that is much of the element-wise work of a training
// step. NativeMoments computes mean and variance in two reads of x, and its gradient in one pass.
//
// tfjs-layers reaches tf.moments through tfjs-core's exports object at call time, so the only way to route
// it here without changing tfjs-layers is to replace that export. The replacement checks on every call that
// the native backend is active and the input is a float32 tensor reduced over a contiguous block of axes;
// anything else goes to tfjs's own moments, so other backends are untouched.
import * as tfCore from '@tensorflow/tfjs-core';
// The module's own exports object (what tfjs-layers reads), not the read-only namespace `import *` gives.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above: the export is replaced in place
import tfCoreExports = require('@tensorflow/tfjs-core');
import {
  type GradConfig, type KernelConfig, type KernelFunc, type NamedAttrMap, type Tensor, type TensorInfo, backend_util,
  engine, getBackend, registerGradient, util,
} from '@tensorflow/tfjs-core';
import { NATIVE_BACKEND_NAME, type NativeBackend } from './native-backend';

/** Name of the kernel (registered for the native backend only): outputs [mean, variance]. */
export const NATIVE_MOMENTS = 'NativeMoments';
/** Its gradient's kernel: dx from dMean and dVariance. */
export const NATIVE_MOMENTS_GRAD = 'NativeMomentsGrad';

type MomentsFunction = typeof tfCore.moments;

interface MomentsPlan {
  axes: number[];
  /** x viewed as [outer, reduced, inner]. */
  dims: [number, number, number];
  statisticsShape: number[];
}

/** The plan for reducing `shape` over `axis`, or undefined when the axes are not one contiguous block. */
function planMoments(shape: number[], axis: number | number[] | null | undefined, keepDims: boolean): MomentsPlan | undefined {
  // tfjs: a missing axis means every axis.
  const axes = util.parseAxisParam(axis ?? shape.map((_, i) => i), shape).sort((a, b) => a - b);
  if (axes.length === 0 || axes[axes.length - 1] - axes[0] + 1 !== axes.length) return undefined;
  const first = axes[0];
  const last = axes[axes.length - 1];
  const dims: [number, number, number] = [
    util.sizeFromShape(shape.slice(0, first)), util.sizeFromShape(shape.slice(first, last + 1)), util.sizeFromShape(shape.slice(last + 1)),
  ];
  if (dims[1] === 0) return undefined;
  const [reducedShape] = backend_util.computeOutAndReduceShapes(shape, axes);
  return { axes, dims, statisticsShape: keepDims ? backend_util.expandShapeToKeepDim(reducedShape, axes) : reducedShape };
}

const momentsKernel: KernelFunc = (args) => {
  const backend = args.backend as NativeBackend;
  const { x } = args.inputs as Record<string, TensorInfo>;
  const xValues = backend.floatValues(x);
  const plan = planMoments(x.shape, args.attrs?.axes as number[], args.attrs?.keepDims === true);
  if (xValues === undefined || plan === undefined) throw new Error(`${NATIVE_MOMENTS}: float32 input over contiguous axes required`);
  const size = plan.dims[0] * plan.dims[2];
  const mean = backend.allocate(size);
  const variance = backend.allocate(size);
  backend.addon.momentsForward(xValues, mean, variance, plan.dims);
  return [backend.output(plan.statisticsShape, mean), backend.output(plan.statisticsShape, variance)];
};

/** Inputs x, mean and the gradients dMean / dVariance (either may be absent); output dx. */
const momentsGradKernel: KernelFunc = (args) => {
  const backend = args.backend as NativeBackend;
  const { x, mean, dMean, dVariance } = args.inputs as Record<string, TensorInfo | undefined>;
  if (x === undefined || mean === undefined) throw new Error(`${NATIVE_MOMENTS_GRAD}: x and mean are required`);
  const plan = planMoments(x.shape, args.attrs?.axes as number[], false);
  const xValues = backend.floatValues(x);
  const meanValues = backend.floatValues(mean);
  const dMeanValues = dMean === undefined ? null : backend.floatValues(dMean);
  const dVarianceValues = dVariance === undefined ? null : backend.floatValues(dVariance);
  if (plan === undefined || xValues === undefined || meanValues === undefined || dMeanValues === undefined || dVarianceValues === undefined) {
    throw new Error(`${NATIVE_MOMENTS_GRAD}: float32 inputs over contiguous axes required`);
  }
  const dx = backend.allocate(xValues.length);
  backend.addon.momentsBackward(xValues, meanValues, dMeanValues, dVarianceValues, dx, plan.dims);
  return backend.output(x.shape, dx);
};

const momentsGradient: GradConfig = {
  kernelName: NATIVE_MOMENTS,
  inputsToSave: ['x'],
  outputsToSave: [true, false],
  gradFunc: (dy, saved, attrs) => {
    const [dMean, dVariance] = dy as (Tensor | null)[];
    const [x, mean] = saved;
    return {
      x: () => {
        const inputs: Record<string, Tensor> = { x, mean };
        if (dMean !== null) inputs.dMean = dMean;
        if (dVariance !== null) inputs.dVariance = dVariance;
        return engine().runKernel(NATIVE_MOMENTS_GRAD, inputs, attrs as NamedAttrMap) as Tensor;
      },
    };
  },
};

/** Kernel configs of NativeMoments and its gradient. */
export function momentsKernelConfigs(): KernelConfig[] {
  return [
    { kernelName: NATIVE_MOMENTS, backendName: NATIVE_BACKEND_NAME, kernelFunc: momentsKernel },
    { kernelName: NATIVE_MOMENTS_GRAD, backendName: NATIVE_BACKEND_NAME, kernelFunc: momentsGradKernel },
  ];
}

function nativeMoments(original: MomentsFunction): MomentsFunction {
  const replacement = (x: Tensor | tfCore.TensorLike, axis?: number | number[], keepDims = false): { mean: Tensor; variance: Tensor } => {
    if (getBackend() !== NATIVE_BACKEND_NAME || !(x instanceof tfCore.Tensor) || x.dtype !== 'float32') return original(x, axis, keepDims);
    const plan = planMoments(x.shape, axis, keepDims);
    if (plan === undefined) return original(x, axis, keepDims);
    const [mean, variance] = engine().runKernel(NATIVE_MOMENTS, { x }, { axes: plan.axes, keepDims }) as Tensor[];
    return { mean, variance };
  };
  return replacement as MomentsFunction;
}

/** Marks the replacement, so installing twice does not wrap it again. */
const NATIVE_MOMENTS_MARK = Symbol('nativeMoments');

/** Registers the gradient and routes tf.moments to the native kernel while the native backend is active. */
export function installNativeMoments(): void {
  registerGradient(momentsGradient);
  const exportsObject = tfCoreExports as unknown as Record<string, unknown>;
  const current = exportsObject.moments as MomentsFunction & { [NATIVE_MOMENTS_MARK]?: boolean };
  if (current[NATIVE_MOMENTS_MARK] === true) return;
  exportsObject.moments = Object.assign(nativeMoments(current), { [NATIVE_MOMENTS_MARK]: true });
}
