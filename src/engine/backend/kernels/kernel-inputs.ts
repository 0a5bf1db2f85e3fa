// Typed access to a kernel's named inputs (tfjs types them all as possibly undefined).
import type { NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

/** The input `name` of a kernel call; throws naming the kernel when it is absent. */
export function kernelInput(inputs: NamedTensorInfoMap, name: string, kernelName: string): TensorInfo {
  const tensor = inputs[name];
  if (tensor === undefined) throw new Error(`${kernelName}: missing input '${name}'`);
  return tensor;
}
