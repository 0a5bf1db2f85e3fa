// Entry point of the `native` compute backend: loads the oneDNN addon, registers a tfjs backend named
// `native` that extends the cpu backend (every cpu kernel, with the heavy ones replaced), and installs the
// backend-gated gradients. It does not make the backend active: the backend selection does that.
// The cpu kernels this backend inherits are registered when @tensorflow/tfjs-backend-cpu loads, which
// native-backend.ts's import of MathBackendCPU guarantees (a bare import would be dropped by esbuild: the
// package declares itself free of side effects).
import { type KernelConfig, findBackendFactory, getKernelsForBackend, registerBackend, registerKernel } from '@tensorflow/tfjs-core';
import { loadAddon, type NativeAddon } from './native-addon';
import { NATIVE_BACKEND_NAME, NativeBackend, exposingCpuKernel } from './native-backend';
import { installNativeGradients } from './native-gradients';
import { batchNormKernelConfigs } from './native-kernels-batchnorm';
import { convKernelConfigs } from './native-kernels-conv';
import { elementwiseKernelConfigs } from './native-kernels-elementwise';
import { gradientKernelConfigs } from './native-kernels-grad';
import { matMulKernelConfigs } from './native-kernels-matmul';
import { optimizerKernelConfigs } from './native-kernels-optimizer';
import { poolKernelConfigs } from './native-kernels-pool';
import { installNativeBatchNormLayer } from './native-batchnorm-layer';
import { installNativeMoments, momentsKernelConfigs } from './native-moments';

/** What `loadNativeBackend` reports. */
export type NativeBackendLoad = { ok: true; threads: number; detail: string } | { ok: false; reason: string };

/** Below the priority of cpu (1) and wasm (2): tfjs never picks `native` on its own. */
const BACKEND_PRIORITY = 0;

let kernelsRegistered = false;

/** The kernels the addon implements. */
function nativeKernelConfigs(): KernelConfig[] {
  return [
    ...convKernelConfigs(), ...matMulKernelConfigs(), ...poolKernelConfigs(), ...batchNormKernelConfigs(),
    ...elementwiseKernelConfigs(), ...gradientKernelConfigs(), ...momentsKernelConfigs(), ...optimizerKernelConfigs(),
  ];
}

/** Registers the native kernels, plus every other cpu kernel under the `native` name. */
function registerNativeKernels(): void {
  const nativeConfigs = nativeKernelConfigs();
  const replaced = new Set(nativeConfigs.map((config) => config.kernelName));
  for (const config of getKernelsForBackend('cpu')) {
    if (replaced.has(config.kernelName)) continue;
    registerKernel({ ...config, backendName: NATIVE_BACKEND_NAME, kernelFunc: exposingCpuKernel(config.kernelName, config.kernelFunc) });
  }
  for (const config of nativeConfigs) registerKernel(config);
}

/** Runs a 3x3 convolution of ones through the addon: proves the library loads and computes on this CPU. */
function smokeTest(addon: NativeAddon): void {
  const x = new Float32Array(1 * 4 * 4 * 2).fill(1);
  const filter = new Float32Array(3 * 3 * 2 * 1).fill(1);
  const y = new Float32Array(1 * 4 * 4 * 1);
  addon.conv2dForward(x, filter, null, y, [1, 4, 4, 2, 4, 4, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0], 0, 0);
  // Interior outputs see a full 3x3x2 window of ones; corners see 2x2x2.
  if (y[5] !== 18 || y[0] !== 8) throw new Error(`smoke test computed ${y[5]} and ${y[0]}, expected 18 and 8`);
}

/**
 * Loads the native addon and registers the tfjs backend `native` (oneDNN convolutions, matrix products,
 * pooling, batch norm and element-wise kernels over the cpu backend). Never throws: when the addon is
 * missing or broken the result says why and how to build it.
 *
 * @param threads compute threads (OpenMP); default: OpenMP's default, all cores unless OMP_NUM_THREADS says otherwise.
 * @example
 * const load = await loadNativeBackend(2);
 * if (load.ok) await tf.setBackend('native'); else process.stderr.write(`${load.reason}\n`);
 */
export async function loadNativeBackend(threads?: number): Promise<NativeBackendLoad> {
  try {
    const load = loadAddon();
    if (!load.ok) return { ok: false, reason: load.reason };
    const { addon } = load;
    if (threads !== undefined) {
      if (!Number.isInteger(threads) || threads < 1) return { ok: false, reason: `native backend: invalid thread count ${threads}` };
      addon.setThreads(threads);
    }
    if (!kernelsRegistered) {
      smokeTest(addon);
      registerNativeKernels();
      installNativeGradients();
      installNativeMoments();
      installNativeBatchNormLayer();
      kernelsRegistered = true;
    }
    if (findBackendFactory(NATIVE_BACKEND_NAME) === null) {
      registerBackend(NATIVE_BACKEND_NAME, () => new NativeBackend(addon), BACKEND_PRIORITY);
    }
    const actualThreads = addon.getThreads();
    return {
      ok: true,
      threads: actualThreads,
      detail: `native: ${addon.runtimeInfo()}, ${actualThreads} thread${actualThreads === 1 ? '' : 's'} (${load.waitPolicy}), addon ${load.path}`,
    };
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    return { ok: false, reason: `native backend failed to start: ${message}` };
  }
}

/** The kernels that run natively on the `native` backend (the rest are the cpu backend's). */
export function nativeKernelNames(): string[] {
  return nativeKernelConfigs().map((config) => config.kernelName);
}
