// Conv2DBackpropFilter for wasm, which has none: the weight gradient of every convolution during training.
//
// dW[kh,kw,ci,co] = sum over n,oh,ow of xPadded[n, oh*sh + kh, ow*sw + kw, ci] * dy[n,oh,ow,co], which is one
// stride-1 convolution of x transposed to [Cin,H,W,N] with dy transposed to [OH,OW,N,Cout] as its filter,
// dilated by the forward stride. That runs on XNNPACK's fast convolution instead of a scalar loop
// (an im2col + matMul variant was equally exact and 2.4x slower).
import * as tf from '@tensorflow/tfjs-core';
import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs-core';
import { asTensor, cropToPadding, requireChannelsLast } from './conv-geometry';
import { filterGradientsWanted } from './input-gradients-only';
import { kernelInput } from './kernel-inputs';

const conv2dBackpropFilter: KernelFunc = ({ inputs, attrs }) => {
  const x = kernelInput(inputs, 'x', Conv2DBackpropFilter);
  const dy = kernelInput(inputs, 'dy', Conv2DBackpropFilter);
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  requireChannelsLast(dataFormat, Conv2DBackpropFilter);
  if (!filterGradientsWanted()) return tf.fill(filterShape, Number.NaN);
  // XNNPACK rejects a convolution over zero channels and leaves its output unwritten: an empty batch
  // (zero channels after the transpose) has a zero gradient.
  if (sizeOf(x.shape) === 0 || sizeOf(dy.shape) === 0) return tf.zeros(filterShape);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { strideHeight, strideWidth, filterHeight, filterWidth, inHeight, inWidth, outHeight, outWidth } = info;
  const { top, left } = info.padInfo;
  // Rows and columns the dilated window reaches beyond the input (negative: input rows it never reaches).
  const bottom = filterHeight + (outHeight - 1) * strideHeight - top - inHeight;
  const right = filterWidth + (outWidth - 1) * strideWidth - left - inWidth;
  return tf.tidy(() => {
    const { cropped, padding } = cropToPadding(asTensor<tf.Rank.R4>(x), top, bottom, left, right);
    const xChannelsAsBatch = tf.transpose(cropped, [3, 1, 2, 0]);
    const dyAsFilter = tf.transpose(asTensor<tf.Rank.R4>(dy), [1, 2, 0, 3]);
    const perInputChannel = tf.conv2d(xChannelsAsBatch, dyAsFilter, 1, padding, 'NHWC', [strideHeight, strideWidth]);
    return tf.transpose(perInputChannel, [1, 2, 0, 3]);
  });
};

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The project's `Conv2DBackpropFilter` for the wasm backend. */
export const conv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter,
};
