// DepthwiseConv2dNativeBackpropFilter for wasm, which has none: without it depthwise and separable
// convolutions (MobileNet-style models) cannot be trained on wasm.
//
// dW[kh,kw,c,m] = sum over n,oh,ow of x[n, oh*sh - top + kh, ow*sw - left + kw, c] * dy[n,oh,ow,c*M + m].
// Each channel is its own small correlation, which XNNPACK has no primitive for, so this is a loop over
// contiguous channel rows with a float64 accumulator (sums run over every pixel of the batch).
import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs-core';
import { requireNoDilation } from './conv-geometry';
import { filterGradientsWanted } from './input-gradients-only';
import { kernelInput } from './kernel-inputs';
import { asWasmBackend, float32View } from './wasm-heap';

const depthwiseBackpropFilter: KernelFunc = ({ inputs, attrs, backend }) => {
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  const kernelName = DepthwiseConv2dNativeBackpropFilter;
  const x = kernelInput(inputs, 'x', kernelName);
  const dy = kernelInput(inputs, 'dy', kernelName);
  requireNoDilation(dilations, kernelName);
  const wasm = asWasmBackend(backend, kernelName);
  const out = wasm.makeOutput(filterShape, 'float32');
  const dw = float32View(wasm, out, kernelName);
  if (!filterGradientsWanted()) {
    dw.fill(Number.NaN);
    return out;
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    true,
  );
  accumulateFilterGradient(float32View(wasm, x, kernelName), float32View(wasm, dy, kernelName), dw, info);
  return out;
};

function accumulateFilterGradient(x: Float32Array, dy: Float32Array, dw: Float32Array, info: backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  const multiplier = outChannels / inChannels;
  const sums = new Float64Array(dw.length);
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
              const xValue = x[xBase + c];
              for (let m = 0; m < multiplier; m++) {
                const j = c * multiplier + m;
                sums[tapBase + j] += xValue * dy[dyBase + j];
              }
            }
          }
        }
      }
    }
  }
  dw.set(sums);
}

/** The project's `DepthwiseConv2dNativeBackpropFilter` for the wasm backend. */
export const depthwiseConv2dBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter,
};
