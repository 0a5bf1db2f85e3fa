// Kernels of our own behind the native backend's one-pass gradients (see native-gradients.ts):
// NativeReluGrad dy * (x > 0), NativeSquareGrad dy * 2x, and NativeBroadcastScale, which expands a reduced
// gradient back to the input's shape times a constant (the gradient of Sum and Mean). tfjs computes each
// of these with two or three full-size ops.
import { type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { NATIVE_BACKEND_NAME, type NativeBackend } from './native-backend';
import { BINARY_OPS, MASK_POSITIVE_OP, TWICE_PRODUCT_OP, nativeBinary } from './native-kernels-elementwise';

/** Kernel names (registered for the native backend only). */
export const NATIVE_RELU_GRAD = 'NativeReluGrad';
export const NATIVE_SQUARE_GRAD = 'NativeSquareGrad';
export const NATIVE_BROADCAST_SCALE = 'NativeBroadcastScale';

function pairKernel(kernelName: string, op: number): KernelFunc {
  return (args) => {
    const { dy, x } = args.inputs as Record<string, TensorInfo>;
    const result = nativeBinary(args.backend as NativeBackend, op, dy, x);
    if (result === undefined) throw new Error(`${kernelName}: float32 inputs required`);
    return result;
  };
}

/** Input x (a shape broadcastable to attrs.shape); output x broadcast to attrs.shape, times attrs.scale. */
const broadcastScale: KernelFunc = (args) => {
  const { x } = args.inputs as Record<string, TensorInfo>;
  const shape = args.attrs?.shape as number[];
  const scale = args.attrs?.scale as number;
  const result = nativeBinary(args.backend as NativeBackend, BINARY_OPS.Multiply, x, undefined, shape, scale);
  if (result === undefined) throw new Error(`${NATIVE_BROADCAST_SCALE}: float32 input required`);
  return result;
};

/** Kernel configs of the gradient helpers. */
export function gradientKernelConfigs(): KernelConfig[] {
  return [
    { kernelName: NATIVE_RELU_GRAD, backendName: NATIVE_BACKEND_NAME, kernelFunc: pairKernel(NATIVE_RELU_GRAD, MASK_POSITIVE_OP) },
    { kernelName: NATIVE_SQUARE_GRAD, backendName: NATIVE_BACKEND_NAME, kernelFunc: pairKernel(NATIVE_SQUARE_GRAD, TWICE_PRODUCT_OP) },
    { kernelName: NATIVE_BROADCAST_SCALE, backendName: NATIVE_BACKEND_NAME, kernelFunc: broadcastScale },
  ];
}
