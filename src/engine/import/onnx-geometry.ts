import * as tfl from '@tensorflow/tfjs-layers';
import { ConstantPadding2D } from './onnx-layers';
import { type OpContext, type SymbolicValue, symbolicValue } from './onnx-op-context';

/**
 * Padding for convolutions and pools, resolved to explicit per-side amounts so the TF.js op can run
 * 'valid' on a padded input: this reproduces ONNX/PyTorch placement exactly, where TF 'same' would put
 * an odd pixel at the end.
 */

export interface SidePads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** The lowest float32: padding value for max pooling (JSON cannot hold -Infinity in a layer config). */
export const LOWEST_FLOAT32 = -3.4028234663852886e38;

/**
 * Explicit pads of a Conv/MaxPool/AveragePool node on input `[height, width]`, from `auto_pad` or `pads`,
 * plus the extra end padding `ceil_mode` implies (PyTorch's rule: the last window must start inside the
 * input or its left padding).
 */
export function resolvePads(
  ctx: OpContext,
  inputSize: [number | null, number | null],
  kernel: number[],
  strides: number[],
  dilations: number[],
  ceilMode: boolean,
): SidePads {
  const autoPad = ctx.attrString('auto_pad', 'NOTSET');
  const before = [0, 0];
  const after = [0, 0];
  const needSize = (axis: number, why: string): number => {
    const size = inputSize[axis];
    if (size == null) ctx.fail(`${why} needs a fixed input ${axis === 0 ? 'height' : 'width'}; give the input size when importing`);
    return size;
  };
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    for (const axis of [0, 1]) {
      const size = needSize(axis, `auto_pad ${autoPad}`);
      const effective = (kernel[axis] - 1) * dilations[axis] + 1;
      const total = Math.max((Math.ceil(size / strides[axis]) - 1) * strides[axis] + effective - size, 0);
      before[axis] = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      after[axis] = total - before[axis];
    }
  } else if (autoPad === 'NOTSET') {
    const pads = ctx.attrInts('pads', [0, 0, 0, 0]);
    if (pads.length !== 4) ctx.fail(`pads ${JSON.stringify(pads)} are not [top, left, bottom, right]`);
    if (pads.some((p) => p < 0)) ctx.fail(`negative pads ${JSON.stringify(pads)} are not supported`);
    [before[0], before[1], after[0], after[1]] = pads;
  } else if (autoPad !== 'VALID') ctx.fail(`auto_pad ${autoPad} is not a valid value`);
  if (ceilMode) {
    for (const axis of [0, 1]) {
      const size = needSize(axis, 'ceil_mode');
      const effective = (kernel[axis] - 1) * dilations[axis] + 1;
      const span = size + before[axis] + after[axis] - effective;
      let outputs = Math.ceil(span / strides[axis]) + 1;
      if ((outputs - 1) * strides[axis] >= size + before[axis]) outputs -= 1;
      after[axis] += Math.max(0, (outputs - 1) * strides[axis] + effective - (size + before[axis] + after[axis]));
    }
  }
  return { top: before[0], left: before[1], bottom: after[0], right: after[1] };
}

export function hasPadding(pads: SidePads): boolean {
  return pads.top + pads.bottom + pads.left + pads.right > 0;
}

/** Pads an image value with `value` (zero padding uses tfjs's ZeroPadding2D); returns `x` when nothing to pad. */
export function padImage(ctx: OpContext, x: SymbolicValue, pads: SidePads, value: number, suffix = 'pad'): SymbolicValue {
  if (!hasPadding(pads)) return x;
  const padding: [[number, number], [number, number]] = [
    [pads.top, pads.bottom],
    [pads.left, pads.right],
  ];
  const layer = value === 0 ? tfl.layers.zeroPadding2d({ padding, name: ctx.layerName(suffix) }) : new ConstantPadding2D({ padding, value, name: ctx.layerName(suffix) });
  return symbolicValue(ctx.apply(layer, x.tensor), true, x.nonNegative && value >= 0);
}
