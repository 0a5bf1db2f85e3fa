// Installs the project's kernels on the wasm backend, replacing stock ones that are missing, wrong or slow.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { avgPoolGradConfig } from './avg-pool-grad';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2dBackpropInputConfig, setStockConv2dBackpropInput } from './conv2d-backprop-input';
import { depthwiseConv2dBackpropFilterConfig } from './depthwise-conv2d-backprop-filter';
import { depthwiseConv2dBackpropInputConfig } from './depthwise-conv2d-backprop-input';
import { maxPoolGradConfig } from './max-pool-grad';
import { tileConfig } from './tile';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum';

/** Every kernel the project registers for wasm, and why. */
export const projectWasmKernels: readonly { config: KernelConfig; reason: 'missing' | 'wrong' | 'slow' }[] = [
  { config: conv2dBackpropFilterConfig, reason: 'missing' },
  { config: conv2dBackpropInputConfig, reason: 'slow' },
  { config: maxPoolGradConfig, reason: 'wrong' },
  { config: avgPoolGradConfig, reason: 'wrong' },
  { config: depthwiseConv2dBackpropFilterConfig, reason: 'missing' },
  { config: depthwiseConv2dBackpropInputConfig, reason: 'missing' },
  { config: tileConfig, reason: 'slow' },
  { config: unsortedSegmentSumConfig, reason: 'missing' },
];

const stockKernels = new Map<string, KernelConfig | undefined>();

/**
 * Registers the project's wasm kernels (idempotent). The stock kernel each one replaces is kept so that
 * `restoreStockWasmKernels` can put it back, which the benchmark uses to measure the difference.
 */
export function registerProjectWasmKernels(): string[] {
  for (const { config } of projectWasmKernels) {
    const existing = tf.getKernel(config.kernelName, 'wasm');
    if (existing?.kernelFunc === config.kernelFunc) continue;
    if (!stockKernels.has(config.kernelName)) stockKernels.set(config.kernelName, existing);
    if (existing !== undefined) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  setStockConv2dBackpropInput(stockKernels.get(conv2dBackpropInputConfig.kernelName)?.kernelFunc);
  return projectWasmKernels.map(({ config }) => config.kernelName);
}

/** Puts back the stock wasm kernels (missing ones stay missing). For benchmarks and tests only. */
export function restoreStockWasmKernels(): void {
  for (const { config } of projectWasmKernels) {
    const existing = tf.getKernel(config.kernelName, 'wasm');
    if (existing?.kernelFunc !== config.kernelFunc) continue;
    tf.unregisterKernel(config.kernelName, 'wasm');
    const stock = stockKernels.get(config.kernelName);
    if (stock !== undefined) tf.registerKernel(stock);
  }
}
