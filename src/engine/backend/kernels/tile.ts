// Tile for wasm, replacing a slow stock kernel: it computes a source index per output element, and the
// BatchNorm gradient tiles the per-channel scale over the whole activation in every training step (1 s of
// a ResNet-18 step). Here whole blocks are copied with copyWithin, doubling each time, axis by axis.
import { type backend_util, type KernelConfig, type KernelFunc, Tile, type TileAttrs } from '@tensorflow/tfjs-core';
import { kernelInput } from './kernel-inputs';
import { asWasmBackend } from './wasm-heap';

const tile: KernelFunc = ({ inputs, attrs, backend }) => {
  const x = kernelInput(inputs, 'x', Tile);
  const { reps } = attrs as unknown as TileAttrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') {
    throw new Error(`${Tile}: ${x.dtype} tensors are not supported on wasm`);
  }
  const wasm = asWasmBackend(backend, Tile);
  const outShape = x.shape.map((size, axis) => size * reps[axis]);
  const out = wasm.makeOutput(outShape, x.dtype);
  const outValues = wasm.typedArrayFromHeap(out);
  const xValues = wasm.typedArrayFromHeap(x);
  if (outValues.length > 0) tileInPlace(outValues, xValues, x.shape, reps);
  return out;
};

/**
 * Writes `x` tiled by `reps` into `out`. Invariant: before axis a is processed, the first elements of `out`
 * hold x with every axis after a already tiled, contiguously.
 */
function tileInPlace(out: backend_util.TypedArray, x: backend_util.TypedArray, shape: number[], reps: number[]): void {
  out.set(x);
  let block = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    block *= shape[axis];
    const repeat = reps[axis];
    let outer = 1;
    for (let a = 0; a < axis; a++) outer *= shape[a];
    if (repeat !== 1) {
      // Later blocks first: block o moves to o*block*repeat >= o*block, never over a block still unread.
      for (let o = outer - 1; o >= 0; o--) {
        const dst = o * block * repeat;
        if (dst !== o * block) out.copyWithin(dst, o * block, o * block + block);
        const total = block * repeat;
        for (let filled = block; filled < total; filled *= 2) {
          out.copyWithin(dst + filled, dst, dst + Math.min(filled, total - filled));
        }
      }
    }
    block *= repeat;
  }
}

/** The project's `Tile` for the wasm backend. */
export const tileConfig: KernelConfig = {
  kernelName: Tile,
  backendName: 'wasm',
  kernelFunc: tile,
};
