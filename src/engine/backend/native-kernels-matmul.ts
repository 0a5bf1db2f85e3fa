// Matrix-product kernels of the native backend (BatchMatMul, _FusedMatMul) through oneDNN's sgemm
// (native/src/matmul.cc). Batch dimensions must be equal or 1; other broadcasts and prelu run the cpu kernel.
import {
  BatchMatMul, _FusedMatMul, broadcast_util, util, type KernelConfig, type KernelFunc, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { NATIVE_BACKEND_NAME, type NativeBackend, cpuKernel } from './native-backend';
import { activationCode } from './native-activation';

/** A bias the addon can add: a scalar, or one value per output column with every other axis of size 1. */
function isColumnBias(shape: number[], columns: number): boolean {
  const size = util.sizeFromShape(shape);
  if (size === 1) return true;
  return shape.length > 0 && shape[shape.length - 1] === columns && size === columns;
}

function matMulKernel(kernelName: string, fused: boolean): KernelFunc {
  const fallback = cpuKernel(kernelName);
  return (args) => {
    const backend = args.backend as NativeBackend;
    const attrs = args.attrs ?? {};
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    if (a === undefined || b === undefined) return fallback(args);
    const aValues = backend.floatValues(a);
    const bValues = backend.floatValues(b);
    const activation = fused ? activationCode(attrs.activation as string | undefined) : 0;
    if (aValues === undefined || bValues === undefined || activation === undefined || preluActivationWeights !== undefined) {
      return fallback(args);
    }
    if (a.shape.length < 2 || b.shape.length < 2) return fallback(args);
    const transposeA = attrs.transposeA === true;
    const transposeB = attrs.transposeB === true;
    const aRank = a.shape.length;
    const bRank = b.shape.length;
    const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
    const k = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
    const kB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
    const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
    if (k !== kB) return fallback(args); // the cpu kernel raises tfjs's own error message
    const outerShape = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const batchA = util.sizeFromShape(a.shape.slice(0, -2));
    const batchB = util.sizeFromShape(b.shape.slice(0, -2));
    const batch = util.sizeFromShape(outerShape);
    if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return fallback(args);
    const outShape = [...outerShape, m, n];
    let biasValues: Float32Array | null = null;
    if (bias !== undefined) {
      const values = backend.floatValues(bias);
      // A bias of higher rank than the product would broadcast the output to a larger shape.
      if (values === undefined || !isColumnBias(bias.shape, n) || bias.shape.length > outShape.length) return fallback(args);
      biasValues = values;
    }
    const out = backend.allocate(batch * m * n);
    backend.addon.matMul(aValues, bValues, biasValues, out,
      [batchA, batchB, m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0, activation],
      (attrs.leakyreluAlpha as number | undefined) ?? 0.2);
    return backend.output(outShape, out);
  };
}

/** Kernel configs for matrix products. */
export function matMulKernelConfigs(): KernelConfig[] {
  return [
    { kernelName: BatchMatMul, backendName: NATIVE_BACKEND_NAME, kernelFunc: matMulKernel(BatchMatMul, false) },
    { kernelName: _FusedMatMul, backendName: NATIVE_BACKEND_NAME, kernelFunc: matMulKernel(_FusedMatMul, true) },
  ];
}
