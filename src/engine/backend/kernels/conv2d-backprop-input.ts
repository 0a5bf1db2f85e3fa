// Conv2DBackpropInput for wasm, replacing the stock kernel (a scalar C++ loop) with one XNNPACK convolution
// (see input-gradient-phases.ts) wherever that is faster.
//
// XNNPACK repacks a filter it has not seen before at 20-100 ns per weight, and the phase filter is new on
// every call. For large filters over a few pixels (ResNet's last stage at 32x32 inputs: 1x1 pixels, 2.4M
// weights) the repacking costs more than the stock loop's multiplications over the valid taps, so those
// calls keep the stock kernel. Measured crossover: about 16 valid multiply-adds per weight.
import * as tf from '@tensorflow/tfjs-core';
import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs-core';
import { asTensor, requireChannelsLast } from './conv-geometry';
import { inputGradientByPhases } from './input-gradient-phases';
import { kernelInput } from './kernel-inputs';
import { asWasmBackend } from './wasm-heap';

/** Valid multiply-adds per filter weight below which the stock kernel is faster than repacking. */
const STOCK_BELOW_MACS_PER_WEIGHT = 16;

let stockKernel: KernelFunc | undefined;

/** Hands over the stock wasm kernel, for the calls where it is faster (register-wasm-kernels.ts does this). */
export function setStockConv2dBackpropInput(kernel: KernelFunc | undefined): void {
  stockKernel = kernel;
}

/** Which implementation a call with this geometry runs. Exported for tests. */
export function conv2dBackpropInputPath(info: backend_util.Conv2DInfo): 'phases' | 'stock' {
  if (stockKernel === undefined) return 'phases';
  const weights = info.filterHeight * info.filterWidth * info.inChannels * info.outChannels;
  const validPairs = validTaps(info.outHeight, info.strideHeight, info.padInfo.top, info.filterHeight, info.inHeight) *
    validTaps(info.outWidth, info.strideWidth, info.padInfo.left, info.filterWidth, info.inWidth);
  const validMacs = info.batchSize * validPairs * info.inChannels * info.outChannels;
  return validMacs < STOCK_BELOW_MACS_PER_WEIGHT * weights ? 'stock' : 'phases';
}

/** Sum over output positions of the filter taps that land inside the input, along one axis. */
function validTaps(outSize: number, stride: number, padBefore: number, filterSize: number, inSize: number): number {
  let total = 0;
  for (let o = 0; o < outSize; o++) {
    const start = o * stride - padBefore;
    total += Math.max(0, Math.min(start + filterSize, inSize) - Math.max(start, 0));
  }
  return total;
}

const conv2dBackpropInput: KernelFunc = (args) => {
  const { inputs, attrs, backend } = args;
  const dy = kernelInput(inputs, 'dy', Conv2DBackpropInput);
  const filter = kernelInput(inputs, 'filter', Conv2DBackpropInput);
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs;
  requireChannelsLast(dataFormat, Conv2DBackpropInput);
  const wasm = asWasmBackend(backend, Conv2DBackpropInput);
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  // XNNPACK leaves the output of a convolution over zero channels unwritten; an empty batch is all zeros.
  if (dy.shape.includes(0) || filter.shape.includes(0)) return tf.zeros(inputShape);
  if (stockKernel !== undefined && conv2dBackpropInputPath(info) === 'stock') return stockKernel(args);
  return tf.tidy(() => inputGradientByPhases(wasm, asTensor<tf.Rank.R4>(dy), filter, info));
};

/** The project's `Conv2DBackpropInput` for the wasm backend. */
export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput,
};
