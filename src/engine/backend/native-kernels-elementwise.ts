// Element-wise and reduction kernels of the native backend for float32 data: broadcasting binary ops,
// unary activations and maths, and sum/mean/max over a contiguous block of axes (native/src/elementwise.cc).
// They matter because training composes BatchNorm, ReLU and their gradients from them on full-size tensors.
import {
  Abs, Add, Elu, Exp, LeakyRelu, Log, Max, Maximum, Mean, Minimum, Multiply, Neg, RealDiv, Relu, Relu6, Rsqrt,
  Sigmoid, Sqrt, Square, SquaredDifference, Step, Sub, Sum, Tanh, backend_util, broadcast_util, util,
  type KernelConfig, type KernelFunc, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { NATIVE_BACKEND_NAME, type NativeBackend, cpuKernel } from './native-backend';
import { pendingConvOf, runPendingConv, withRelu } from './native-fusion';
import { pendingBatchNormOf, runBatchNorm } from './native-kernels-batchnorm';

/** Codes of native/src/elementwise.cc's BinaryOp. */
export const BINARY_OPS = {
  [Add]: 0, [Sub]: 1, [Multiply]: 2, [RealDiv]: 3, [Maximum]: 4, [Minimum]: 5, [SquaredDifference]: 6,
} as const;
/** dy * (x > 0): the ReLU gradient, used by the native gradient of Relu. */
export const MASK_POSITIVE_OP = 7;
/** dy * 2x: the gradient of Square. */
export const TWICE_PRODUCT_OP = 8;
/** max(a + b, 0): a residual sum and its ReLU in one pass (native-graph.ts). */
export const ADD_RELU_OP = 9;

/** Codes of native/src/elementwise.cc's UnaryOp, with the attribute that carries alpha where there is one. */
const UNARY_OPS: Record<string, { code: number; alphaAttr?: string; defaultAlpha?: number }> = {
  [Relu]: { code: 0 }, [Relu6]: { code: 1 }, [Neg]: { code: 2 }, [Square]: { code: 3 }, [Sqrt]: { code: 4 },
  [Rsqrt]: { code: 5 }, [Exp]: { code: 6 }, [Log]: { code: 7 }, [Abs]: { code: 8 }, [Sigmoid]: { code: 9 },
  [Tanh]: { code: 10 }, [Step]: { code: 11, alphaAttr: 'alpha', defaultAlpha: 0 },
  [LeakyRelu]: { code: 12, alphaAttr: 'alpha', defaultAlpha: 0.2 }, [Elu]: { code: 13 },
};

/** Codes of native/src/elementwise.cc's ReduceOp, with the attribute naming the axes (Max calls it differently). */
const REDUCE_OPS: Record<string, { code: number; axisAttr: string }> = {
  [Sum]: { code: 0, axisAttr: 'axis' }, [Mean]: { code: 1, axisAttr: 'axis' }, [Max]: { code: 2, axisAttr: 'reductionIndices' },
};

/**
 * Runs a broadcasting binary op natively; undefined when an operand is not float32. With `b` undefined the
 * second operand is the constant `constant`, and `outShape` (default: the broadcast shape) may expand `a`.
 */
export function nativeBinary(
  backend: NativeBackend, op: number, a: TensorInfo, b: TensorInfo | undefined, outShape?: number[], constant = 0,
): TensorInfo | undefined {
  const aValues = backend.floatValues(a);
  const bValues = b === undefined ? Float32Array.of(constant) : backend.floatValues(b);
  if (aValues === undefined || bValues === undefined) return undefined;
  const bShape = b === undefined ? [] : b.shape;
  const shape = outShape ?? broadcast_util.assertAndGetBroadcastShape(a.shape, bShape);
  const out = backend.allocate(util.sizeFromShape(shape));
  backend.addon.binary(op, aValues, a.shape, bValues, bShape, out, outShape ?? null);
  return backend.output(shape, out);
}

function binaryKernel(kernelName: keyof typeof BINARY_OPS): KernelFunc {
  const fallback = cpuKernel(kernelName);
  const op = BINARY_OPS[kernelName];
  return (args) => {
    const { a, b } = args.inputs as Record<string, TensorInfo>;
    return nativeBinary(args.backend as NativeBackend, op, a, b) ?? fallback(args);
  };
}

function unaryKernel(kernelName: string): KernelFunc {
  const fallback = cpuKernel(kernelName);
  const { code, alphaAttr, defaultAlpha } = UNARY_OPS[kernelName];
  return (args) => {
    const backend = args.backend as NativeBackend;
    const { x } = args.inputs as Record<string, TensorInfo>;
    if (kernelName === Relu) {
      // Inference: a pending convolution (with any batch norm folded in) computes the ReLU as its post-op.
      const conv = pendingConvOf(backend, x);
      if (conv !== undefined) return backend.output(x.shape, runPendingConv(backend, withRelu(conv)));
      // A pending batch norm (training) computes it in the same pass.
      const norm = pendingBatchNormOf(backend, x);
      if (norm !== undefined) return backend.output(x.shape, runBatchNorm(backend, norm, true));
    }
    const xValues = backend.floatValues(x);
    if (xValues === undefined) return fallback(args);
    const alpha = alphaAttr === undefined ? 0 : ((args.attrs?.[alphaAttr] as number | undefined) ?? defaultAlpha ?? 0);
    const y = backend.allocate(xValues.length);
    backend.addon.unary(code, xValues, y, alpha);
    return backend.output(x.shape, y);
  };
}

function reduceKernel(kernelName: string): KernelFunc {
  const fallback = cpuKernel(kernelName);
  const { code, axisAttr } = REDUCE_OPS[kernelName];
  return (args) => {
    const backend = args.backend as NativeBackend;
    const { x } = args.inputs as Record<string, TensorInfo>;
    const xValues = backend.floatValues(x);
    if (xValues === undefined || xValues.length === 0) return fallback(args);
    const axes = util.parseAxisParam(args.attrs?.[axisAttr] as number | number[], x.shape).sort((p, q) => p - q);
    if (axes.length === 0) return fallback(args);
    const first = axes[0];
    const last = axes[axes.length - 1];
    // Only a contiguous block of axes maps onto [outer, reduced, inner]; others take the cpu kernel's transpose.
    if (last - first + 1 !== axes.length) return fallback(args);
    const outer = util.sizeFromShape(x.shape.slice(0, first));
    const reduced = util.sizeFromShape(x.shape.slice(first, last + 1));
    const inner = util.sizeFromShape(x.shape.slice(last + 1));
    const [reducedShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const outShape = args.attrs?.keepDims === true ? backend_util.expandShapeToKeepDim(reducedShape, axes) : reducedShape;
    const y = backend.allocate(outer * inner);
    backend.addon.reduce(code, xValues, y, [outer, reduced, inner]);
    return backend.output(outShape, y);
  };
}

/** Kernel configs for element-wise ops and reductions. */
export function elementwiseKernelConfigs(): KernelConfig[] {
  const make = (kernelName: string, kernelFunc: KernelFunc): KernelConfig => ({ kernelName, backendName: NATIVE_BACKEND_NAME, kernelFunc });
  return [
    ...(Object.keys(BINARY_OPS) as (keyof typeof BINARY_OPS)[]).map((name) => make(name, binaryKernel(name))),
    ...Object.keys(UNARY_OPS).map((name) => make(name, unaryKernel(name))),
    ...Object.keys(REDUCE_OPS).map((name) => make(name, reduceKernel(name))),
  ];
}
