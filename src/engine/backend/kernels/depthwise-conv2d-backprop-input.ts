// DepthwiseConv2dNativeBackpropInput for wasm, which has none: without it no input gradient (and so no
// strong stimulus) flows through a depthwise or separable convolution.
//
// dx[n,h,w,c] = sum over kh,kw,m with h = oh*sh - top + kh (w likewise) of dy[n,oh,ow,c*M + m] * W[kh,kw,c,m]:
// a scatter from each output pixel into its window, channels innermost so every access is contiguous.
import {
  backend_util,
  DepthwiseConv2dNativeBackpropInput,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs-core';
import { requireNoDilation } from './conv-geometry';
import { kernelInput } from './kernel-inputs';
import { asWasmBackend, float32View } from './wasm-heap';

const depthwiseBackpropInput: KernelFunc = ({ inputs, attrs, backend }) => {
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const kernelName = DepthwiseConv2dNativeBackpropInput;
  const dy = kernelInput(inputs, 'dy', kernelName);
  const filter = kernelInput(inputs, 'filter', kernelName);
  requireNoDilation(dilations, kernelName);
  const wasm = asWasmBackend(backend, kernelName);
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    true,
  );
  const out = wasm.makeOutput(inputShape, 'float32');
  const dx = float32View(wasm, out, kernelName);
  scatterInputGradient(float32View(wasm, dy, kernelName), float32View(wasm, filter, kernelName), dx, info);
  return out;
};

function scatterInputGradient(dy: Float32Array, filter: Float32Array, dx: Float32Array, info: backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const multiplier = outChannels / inChannels;
  dx.fill(0);
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyBase = ((n * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < filterHeight; kh++) {
          const h = oh * strideHeight - top + kh;
          if (h < 0 || h >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const w = ow * strideWidth - left + kw;
            if (w < 0 || w >= inWidth) continue;
            const xBase = ((n * inHeight + h) * inWidth + w) * inChannels;
            const tapBase = (kh * filterWidth + kw) * outChannels;
            for (let c = 0; c < inChannels; c++) {
              let sum = 0;
              for (let m = 0; m < multiplier; m++) {
                const j = c * multiplier + m;
                sum += dy[dyBase + j] * filter[tapBase + j];
              }
              dx[xBase + c] += sum;
            }
          }
        }
      }
    }
  }
}

/** The project's `DepthwiseConv2dNativeBackpropInput` for the wasm backend. */
export const depthwiseConv2dBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput,
};
