// The `webgpu` backend, for measurement only: TF.js's @tensorflow/tfjs-backend-webgpu on a GPU reached through
// Dawn for Node (the npm package `webgpu`; on Linux it needs a Vulkan driver). Neither package is a dependency:
// both are resolved at run time, like tfjs-node. It is not a backend users can choose (not in BACKEND_CHOICES):
// measured on an H100 it matches `cpu` on every kernel test (test/gpu, `npm run test:webgpu`) but trains and
// takes input gradients slower than the native backend on that machine's 16 cores (README, Speed), so only
// `bias-audit bench --backends webgpu` and the webgpu tests start it. It also cannot read tensors synchronously
// in Node (tfjs-backend-webgpu's readSync needs OffscreenCanvas).
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { errorMessage } from '../util/errors';
import type { BackendLoadOutcome } from './load-outcome';

/** The packages the webgpu backend needs, at these versions (tfjs-core's must match ours). */
export const WEBGPU_PACKAGES = ['webgpu', '@tensorflow/tfjs-backend-webgpu'] as const;

/** What to tell a user who asks for webgpu without it. */
export const WEBGPU_INSTALL_HINT =
  'install webgpu@0.6.2 and @tensorflow/tfjs-backend-webgpu@4.22.0 with npm in this folder or beside bias-audit; ' +
  'on Linux a Vulkan driver (libvulkan1 and the GPU vendor\'s ICD) must be present';

interface DawnModule {
  create(options: string[]): unknown;
  globals: Record<string, unknown>;
}

/** Loads a module by name (beside this code, then in the working folder). Tests substitute fakes. */
export type WebgpuModuleLoader = (name: string) => Promise<unknown>;

async function defaultLoader(name: string): Promise<unknown> {
  let resolved: string;
  try {
    resolved = require.resolve(name);
  } catch {
    resolved = createRequire(join(process.cwd(), 'package.json')).resolve(name);
  }
  // `webgpu` is an ES module: a dynamic import loads it whatever this file was compiled to.
  if (name === 'webgpu') return import(resolved);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional, resolved at run time by design
  return require(resolved);
}

let started: { detail: string } | undefined;

/**
 * Loads Dawn for Node, exposes it as `navigator.gpu`, loads tfjs-backend-webgpu and selects `webgpu`.
 * Returns why not when a package is missing, no GPU adapter is found or the backend does not start.
 * `dawnOptions` go to Dawn's `create` (say `backend=vulkan`; default from BIAS_AUDIT_DAWN_OPTIONS, comma-separated).
 */
export async function loadWebgpuBackend(load: WebgpuModuleLoader = defaultLoader, dawnOptions?: string[]): Promise<BackendLoadOutcome> {
  if (started !== undefined) {
    if (!(await tf.setBackend('webgpu'))) return { ok: false, reason: 'the webgpu backend could not be selected again' };
    return { ok: true, threads: 1, simd: false, detail: started.detail };
  }
  let dawn: DawnModule;
  try {
    dawn = (await load('webgpu')) as DawnModule;
    if (typeof dawn.create !== 'function') throw new Error('it exports no create()');
  } catch (e) {
    return { ok: false, reason: `${missingOrBroken('webgpu', e)}; ${WEBGPU_INSTALL_HINT}` };
  }
  const options = dawnOptions ?? (process.env.BIAS_AUDIT_DAWN_OPTIONS ?? '').split(',').filter((o) => o.length > 0);
  const gpu = dawn.create(options) as { requestAdapter(options?: object): Promise<{ info?: { vendor?: string; architecture?: string; device?: string; description?: string } } | null> };
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (adapter === null) return { ok: false, reason: 'Dawn found no GPU adapter (is a Vulkan driver installed? `vulkaninfo` lists what Vulkan sees)' };
  // tfjs-backend-webgpu registers itself only when `navigator.gpu` exists as it loads, and its kernels use
  // the WebGPU constants (GPUBufferUsage...) as globals. Undone when the backend does not start.
  const undo = exposeWebgpuGlobals(gpu, dawn.globals);
  const fail = (reason: string): BackendLoadOutcome => {
    undo();
    return { ok: false, reason };
  };
  try {
    await load('@tensorflow/tfjs-backend-webgpu');
  } catch (e) {
    return fail(`${missingOrBroken('@tensorflow/tfjs-backend-webgpu', e)}; ${WEBGPU_INSTALL_HINT}`);
  }
  if (tf.findBackendFactory('webgpu') === null) {
    return fail("@tensorflow/tfjs-backend-webgpu loaded but registered no 'webgpu' backend (a tfjs-core version other than 4.22?)");
  }
  let ok = false;
  try {
    ok = await tf.setBackend('webgpu');
  } catch (e) {
    return fail(`the webgpu backend did not start: ${errorMessage(e).split('\n')[0]}`);
  }
  if (!ok) return fail('the webgpu backend did not start (see the warning above)');
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.device, info.description].filter((s) => s !== undefined && s !== '').join(' ');
  started = { detail: `webgpu (experimental; Dawn for Node on ${name || 'an unnamed adapter'})` };
  return { ok: true, threads: 1, simd: false, detail: started.detail };
}

/** Sets `navigator.gpu` and Dawn's globals; returns a function that restores what was there. */
function exposeWebgpuGlobals(gpu: unknown, globals: Record<string, unknown>): () => void {
  const target = globalThis as Record<string, unknown>;
  const saved = Object.keys(globals).map((key) => [key, Object.getOwnPropertyDescriptor(target, key)] as const);
  Object.assign(target, globals);
  const navigator = target.navigator as { gpu?: unknown } | undefined;
  const hadNavigator = navigator !== undefined;
  const savedGpu = hadNavigator ? Object.getOwnPropertyDescriptor(navigator, 'gpu') : undefined;
  if (hadNavigator) Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(target, 'navigator', { value: { gpu }, configurable: true, writable: true });
  return () => {
    for (const [key, descriptor] of saved) {
      if (descriptor === undefined) delete target[key];
      else Object.defineProperty(target, key, descriptor);
    }
    if (!hadNavigator) delete target.navigator;
    else if (savedGpu === undefined) delete (navigator as { gpu?: unknown }).gpu;
    else Object.defineProperty(navigator, 'gpu', savedGpu);
  };
}

function missingOrBroken(name: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return `${name} is not installed`;
  return `${name} is installed but failed to load: ${errorMessage(e).split('\n')[0]}`;
}
