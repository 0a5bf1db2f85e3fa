// MaxPoolGrad for wasm, replacing a wrong stock kernel: its running maximum starts at +1.2e-38
// (std::numeric_limits<float>::min) instead of -infinity, so a window whose values are all <= 0 (common after
// BatchNorm) loses its gradient, and ties go to the last element where TensorFlow and the cpu backend take
// the first. This one routes each output's gradient to the first maximum of its window.
import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  MaxPoolGrad,
  type MaxPoolGradAttrs,
} from '@tensorflow/tfjs-core';
import { kernelInput } from './kernel-inputs';
import { asWasmBackend, float32View } from './wasm-heap';

const maxPoolGrad: KernelFunc = ({ inputs, attrs, backend }) => {
  const dy = kernelInput(inputs, 'dy', MaxPoolGrad);
  const input = kernelInput(inputs, 'input', MaxPoolGrad);
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  const wasm = asWasmBackend(backend, MaxPoolGrad);
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const out = wasm.makeOutput(input.shape, 'float32');
  const dx = float32View(wasm, out, MaxPoolGrad);
  const x = float32View(wasm, input, MaxPoolGrad);
  const dyValues = float32View(wasm, dy, MaxPoolGrad);
  routeToFirstMaximum(x, dyValues, dx, info);
  return out;
};

function routeToFirstMaximum(x: Float32Array, dy: Float32Array, dx: Float32Array, info: backend_util.Conv2DInfo): void {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  dx.fill(0);
  const best = new Float32Array(channels);
  const bestAt = new Int32Array(channels);
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * strideHeight - top;
      const hStart = Math.max(h0, 0);
      const hEnd = Math.min(h0 + filterHeight, inHeight);
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = ow * strideWidth - left;
        const wStart = Math.max(w0, 0);
        const wEnd = Math.min(w0 + filterWidth, inWidth);
        best.fill(Number.NEGATIVE_INFINITY);
        bestAt.fill(-1);
        // Window positions in row-major order, channels innermost: the first strict maximum wins.
        for (let h = hStart; h < hEnd; h++) {
          for (let w = wStart; w < wEnd; w++) {
            const base = ((n * inHeight + h) * inWidth + w) * channels;
            for (let c = 0; c < channels; c++) {
              const value = x[base + c];
              if (value > best[c] || bestAt[c] < 0) {
                best[c] = value;
                bestAt[c] = base + c;
              }
            }
          }
        }
        const dyBase = ((n * outHeight + oh) * outWidth + ow) * channels;
        for (let c = 0; c < channels; c++) {
          if (bestAt[c] >= 0) dx[bestAt[c]] += dy[dyBase + c];
        }
      }
    }
  }
}

/** The project's `MaxPoolGrad` for the wasm backend. */
export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad,
};
