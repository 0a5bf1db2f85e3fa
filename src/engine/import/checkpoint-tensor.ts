/**
 * A tensor read from a foreign checkpoint (PyTorch, safetensors, ONNX), already converted to float32 and
 * still in the checkpoint's own layout: row-major, PyTorch/ONNX axis order (OIHW kernels, [out, in] linear
 * weights). Converting the layout to TF.js is the model builders' job, not the readers'.
 */
export interface CheckpointTensor {
  readonly shape: readonly number[];
  readonly values: Float32Array;
  /** The element type it was stored as, in the format's own words (`F16`, `torch.HalfStorage`, `FLOAT`). */
  readonly storedAs: string;
}

/** Parameter name -> tensor, in the order the checkpoint lists them (a PyTorch `state_dict`). */
export type StateDict = Map<string, CheckpointTensor>;

/** Number of elements of a tensor of this shape (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const d of shape) count *= d;
  return count;
}

/** `[2, 3, 7, 7]` -> `2x3x7x7`, `[]` -> `scalar`, for messages. */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('x');
}
