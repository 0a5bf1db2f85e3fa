// Direct views of tensors that live on the wasm backend's heap, for kernels written in plain TypeScript.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { TensorInfo } from '@tensorflow/tfjs-core';

/** The wasm backend behind a kernel call; throws when a kernel registered for wasm runs elsewhere. */
export function asWasmBackend(backend: unknown, kernelName: string): BackendWasm {
  const candidate = backend as Partial<BackendWasm>;
  if (typeof candidate.typedArrayFromHeap !== 'function' || typeof candidate.makeOutput !== 'function') {
    throw new Error(`${kernelName}: this kernel runs only on the wasm backend`);
  }
  return backend as BackendWasm;
}

/**
 * A float32 view of a tensor's memory. Take views only after the last allocation of the kernel
 * (`makeOutput`): an allocation may grow the wasm memory, which detaches views taken before it.
 */
export function float32View(backend: BackendWasm, tensor: TensorInfo, kernelName: string): Float32Array {
  if (tensor.dtype !== 'float32') throw new Error(`${kernelName}: expected a float32 tensor, got ${tensor.dtype}`);
  return backend.typedArrayFromHeap(tensor) as Float32Array;
}
