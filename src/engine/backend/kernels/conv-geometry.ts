// Shape arithmetic shared by the convolution and pooling gradient kernels.
import * as tf from '@tensorflow/tfjs-core';
import type { backend_util } from '@tensorflow/tfjs-core';

/** Throws for the channels-first layout, which no project kernel (nor the wasm backend) supports. */
export function requireChannelsLast(dataFormat: string | undefined, kernelName: string): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`${kernelName}: only the NHWC data format is supported on wasm, got ${dataFormat}`);
  }
}

/** Throws when dilations other than 1 reach a gradient kernel (tfjs-core refuses them before this point). */
export function requireNoDilation(dilations: number | [number, number] | undefined, kernelName: string): void {
  const [dh, dw] = typeof dilations === 'number' ? [dilations, dilations] : (dilations ?? [1, 1]);
  if (dh !== 1 || dw !== 1) throw new Error(`${kernelName}: dilations other than 1 are not supported, got ${dh}x${dw}`);
}

/**
 * The tensor behind a kernel input, to compose ops on (kernels receive Tensors from ops, but bare
 * TensorInfos from other kernels). A Tensor made here holds its own reference to the data, so disposing
 * it (at the end of the kernel's tidy) leaves the caller's input alive.
 */
export function asTensor<R extends tf.Rank>(info: tf.TensorInfo): tf.Tensor<R> {
  if (info instanceof tf.Tensor) return info as tf.Tensor<R>;
  const engine = tf.engine();
  const tensor = engine.makeTensorFromTensorInfo(info) as tf.Tensor<R>;
  engine.backend.incRef(info.dataId);
  return tensor;
}

/**
 * Applies per-side amounts to the two spatial axes of an NHWC tensor, where a negative amount crops
 * that many rows or columns and a positive one is returned as explicit zero padding for a following
 * convolution (which pads for free instead of copying the tensor).
 */
export function cropToPadding(
  x: tf.Tensor4D,
  top: number,
  bottom: number,
  left: number,
  right: number,
): { cropped: tf.Tensor4D; padding: backend_util.ExplicitPadding } {
  const [n, h, w, c] = x.shape;
  const cropTop = Math.max(0, -top);
  const cropBottom = Math.max(0, -bottom);
  const cropLeft = Math.max(0, -left);
  const cropRight = Math.max(0, -right);
  const cropped =
    cropTop + cropBottom + cropLeft + cropRight === 0
      ? x
      : tf.slice(x, [0, cropTop, cropLeft, 0], [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c]);
  const padding: backend_util.ExplicitPadding = [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom)],
    [Math.max(0, left), Math.max(0, right)],
    [0, 0],
  ];
  return { cropped, padding };
}
