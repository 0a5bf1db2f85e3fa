// UnsortedSegmentSum for wasm, which has none: it is the gradient of tf.gather, so without it no gradient
// flows through a gathered logit (selecting a class score) or an embedding lookup on wasm.
import {
  type KernelConfig,
  type KernelFunc,
  UnsortedSegmentSum,
  type UnsortedSegmentSumAttrs,
} from '@tensorflow/tfjs-core';
import { kernelInput } from './kernel-inputs';
import { asWasmBackend } from './wasm-heap';

const unsortedSegmentSum: KernelFunc = ({ inputs, attrs, backend }) => {
  const x = kernelInput(inputs, 'x', UnsortedSegmentSum);
  const segmentIds = kernelInput(inputs, 'segmentIds', UnsortedSegmentSum);
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`${UnsortedSegmentSum}: ${x.dtype} tensors are not supported on wasm`);
  if (segmentIds.dtype !== 'int32') throw new Error(`${UnsortedSegmentSum}: segment ids must be int32, got ${segmentIds.dtype}`);
  const wasm = asWasmBackend(backend, UnsortedSegmentSum);
  const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
  const rowShape = x.shape.slice(segmentIds.shape.length);
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  const out = wasm.makeOutput([numSegments, ...rowShape], x.dtype);
  const sums = wasm.typedArrayFromHeap(out);
  const values = wasm.typedArrayFromHeap(x);
  const ids = wasm.typedArrayFromHeap(segmentIds);
  sums.fill(0);
  for (let row = 0; row < rows; row++) {
    const segment = ids[row];
    // TensorFlow drops rows whose id is out of range (negative ids mark rows to skip).
    if (segment < 0 || segment >= numSegments) continue;
    const dst = segment * rowSize;
    const src = row * rowSize;
    for (let i = 0; i < rowSize; i++) sums[dst + i] += values[src + i];
  }
  return out;
};

/** The project's `UnsortedSegmentSum` for the wasm backend. */
export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum,
};
