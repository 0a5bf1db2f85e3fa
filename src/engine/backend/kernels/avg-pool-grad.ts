// AvgPoolGrad for wasm, replacing a stock kernel that mis-scales border windows: the forward average (wasm and
// cpu alike, as in TensorFlow) divides by the number of window positions inside the input, but the stock
// gradient (wasm and cpu alike) divides by the full window size, so with 'same' padding the gradient of
// every border window is too small (by 4/9 in a corner of a 3x3 window). This one divides by the count the
// forward pass used.
import {
  AvgPoolGrad,
  type AvgPoolGradAttrs,
  backend_util,
  type KernelConfig,
  type KernelFunc,
} from '@tensorflow/tfjs-core';
import { kernelInput } from './kernel-inputs';
import { asWasmBackend, float32View } from './wasm-heap';

const avgPoolGrad: KernelFunc = ({ inputs, attrs, backend }) => {
  const dy = kernelInput(inputs, 'dy', AvgPoolGrad);
  const input = kernelInput(inputs, 'input', AvgPoolGrad);
  const { filterSize, strides, pad } = attrs as unknown as AvgPoolGradAttrs;
  const wasm = asWasmBackend(backend, AvgPoolGrad);
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad);
  const out = wasm.makeOutput(input.shape, 'float32');
  spreadOverWindows(float32View(wasm, dy, AvgPoolGrad), float32View(wasm, out, AvgPoolGrad), info);
  return out;
};

function spreadOverWindows(dy: Float32Array, dx: Float32Array, info: backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  dx.fill(0);
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * strideHeight - top;
      const hStart = Math.max(h0, 0);
      const hEnd = Math.min(h0 + filterHeight, inHeight);
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = ow * strideWidth - left;
        const wStart = Math.max(w0, 0);
        const wEnd = Math.min(w0 + filterWidth, inWidth);
        const count = (hEnd - hStart) * (wEnd - wStart);
        if (count <= 0) continue;
        const dyBase = ((n * outHeight + oh) * outWidth + ow) * channels;
        for (let h = hStart; h < hEnd; h++) {
          for (let w = wStart; w < wEnd; w++) {
            const base = ((n * inHeight + h) * inWidth + w) * channels;
            for (let c = 0; c < channels; c++) dx[base + c] += dy[dyBase + c] / count;
          }
        }
      }
    }
  }
}

/** The project's `AvgPoolGrad` for the wasm backend. */
export const avgPoolGradConfig: KernelConfig = {
  kernelName: AvgPoolGrad,
  backendName: 'wasm',
  kernelFunc: avgPoolGrad,
};
