// Gradients that run as one native kernel on the native backend where tfjs composes them from several
// full-size ops: FusedBatchNorm (about ten passes over the activation become one, or a per-channel scale
// when only the input gradient is read), Relu and Square (two or three become one), Sum and Mean (ones, multiply, divide become one broadcast). Together they are most of
// the element-wise work of training a network with BatchNorm, whose statistics tfjs-layers computes with
// tf.moments. The maths is tfjs's own; on every other backend, and for inputs the native kernels do not
// take, the original gradient function runs unchanged. tfjs keeps one gradient registry per process, so
// the wrappers are installed there and check the active backend on each call.
// tfjs-core's node build registers no gradients; tfjs-layers registers tfjs's set when it loads. Load it
// first so the originals exist to wrap and a later import cannot overwrite the wrappers.
import '@tensorflow/tfjs-layers';
import {
  FusedBatchNorm, Mean, Relu, Square, Sum, type GradConfig, type GradFunc, type NamedAttrMap, type Tensor,
  backend_util, engine, getBackend, getGradient, registerGradient, reshape, util,
} from '@tensorflow/tfjs-core';
import { NATIVE_BACKEND_NAME } from './native-backend';
import { NATIVE_BATCH_NORM_GRAD } from './native-kernels-batchnorm';
import { NATIVE_BROADCAST_SCALE, NATIVE_RELU_GRAD, NATIVE_SQUARE_GRAD } from './native-kernels-grad';

function onNative(...tensors: (Tensor | undefined)[]): boolean {
  return getBackend() === NATIVE_BACKEND_NAME && tensors.every((t) => t === undefined || t.dtype === 'float32');
}

function batchNormGradient(original: GradFunc): GradFunc {
  return (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved as (Tensor | undefined)[];
    const gradient = dy as Tensor;
    const channels = x === undefined ? -1 : x.shape[x.shape.length - 1];
    const eligible = onNative(x, mean, variance, scale, gradient) && x !== undefined && mean !== undefined && variance !== undefined
      && x.rank >= 2 && mean.rank === 1 && mean.size === channels && variance.rank === 1 && variance.size === channels
      && (scale === undefined || (scale.rank === 1 && scale.size === channels));
    if (!eligible) return original(dy, saved, attrs);
    const inputs: Record<string, Tensor> = { x, mean, variance, dy: gradient };
    if (scale !== undefined) inputs.scale = scale;
    const [dx, dMean, dVariance, dScale, dOffset] =
      engine().runKernel(NATIVE_BATCH_NORM_GRAD, inputs, attrs as NamedAttrMap) as Tensor[];
    return { x: () => dx, mean: () => dMean, variance: () => dVariance, scale: () => dScale, offset: () => dOffset };
  };
}

/**
 * dy combined with one saved tensor by a native kernel: the input x (Square), or for ReLU its output y, since
 * dy * (y > 0) equals dy * (x > 0) and x may be a fused convolution's intermediate never computed
 * (native-fusion.ts). ReLU is registered with its output saved too, after its input.
 */
function elementwiseGradient(kernelName: string, savedIndex = 0): (original: GradFunc) => GradFunc {
  return (original) => (dy, saved, attrs) => {
    const operand = saved[savedIndex];
    const gradient = dy as Tensor;
    if (operand === undefined || !onNative(operand, gradient)) return original(dy, saved, attrs);
    return { x: () => engine().runKernel(kernelName, { dy: gradient, x: operand }) as Tensor };
  };
}

/** Sum and Mean: dx = dy expanded over the reduced axes, times 1 (Sum) or 1 / reduced size (Mean). */
function reductionGradient(isMean: boolean): (original: GradFunc) => GradFunc {
  return (original) => (dy, saved, attrs) => {
    const [x] = saved;
    const gradient = dy as Tensor;
    if (!onNative(x, gradient)) return original(dy, saved, attrs);
    const axes = util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const [, reduceShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const expandedShape = x.shape.map((size, axis) => (axes.includes(axis) ? 1 : size));
    const scale = isMean ? 1 / util.sizeFromShape(reduceShape) : 1;
    return {
      x: () => {
        const expanded = reshape(gradient, expandedShape);
        const result = engine().runKernel(NATIVE_BROADCAST_SCALE, { x: expanded }, { shape: x.shape, scale }) as Tensor;
        expanded.dispose();
        return result;
      },
    };
  };
}

/** Marks our wrappers, so installing twice does not wrap a wrapper. */
const NATIVE_GRADIENT = Symbol('nativeGradient');

/** Installs the backend-gated gradients; a no-op where they are already in place. */
export function installNativeGradients(): void {
  const overrides: [string, (original: GradFunc) => GradFunc, Partial<GradConfig>?][] = [
    [FusedBatchNorm, batchNormGradient],
    [Relu, elementwiseGradient(NATIVE_RELU_GRAD, 1), { outputsToSave: [true] }],
    [Square, elementwiseGradient(NATIVE_SQUARE_GRAD)],
    [Sum, reductionGradient(false)],
    [Mean, reductionGradient(true)],
  ];
  for (const [kernelName, wrap, saving] of overrides) {
    const original: GradConfig | undefined = getGradient(kernelName);
    if (original === undefined || NATIVE_GRADIENT in original.gradFunc) continue;
    const gradFunc = Object.assign(wrap(original.gradFunc), { [NATIVE_GRADIENT]: true });
    registerGradient({ ...original, ...saving, gradFunc });
  }
}
