// The `tensorflow` backend: @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, used when the user installed
// one. Never a dependency of ours: it downloads libtensorflow when installed and pins CUDA versions.
import * as tf from '@tensorflow/tfjs-core';
import os from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { errorMessage } from '../util/errors';
import type { BackendLoadOutcome } from './load-outcome';

/** The packages tried, GPU first. */
export const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** What to tell a user who wants the tensorflow backend and does not have it. */
export const TENSORFLOW_INSTALL_HINT =
  'install @tensorflow/tfjs-node@4.22.0 (CPU) or @tensorflow/tfjs-node-gpu@4.22.0 (NVIDIA GPU; needs CUDA 11.2 ' +
  'and cuDNN 8.1) with npm in this folder or beside bias-audit';

/** Loads a module by name; the default looks beside this code, then in the working folder. */
export type ModuleLoader = (name: string) => unknown;

function defaultLoader(name: string): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional, resolved at run time by design
    return require(name);
  } catch (e) {
    if (!isModuleNotFound(e, name)) throw e;
    return createRequire(join(process.cwd(), 'package.json'))(name);
  }
}

/**
 * Loads tfjs-node (GPU build first) and selects its `tensorflow` backend. Returns why not when neither
 * package is installed or the one installed fails to load (say, a missing CUDA library).
 */
export async function loadTensorflowBackend(load: ModuleLoader = defaultLoader): Promise<BackendLoadOutcome> {
  const failures: string[] = [];
  for (const name of TENSORFLOW_PACKAGES) {
    try {
      load(name);
    } catch (e) {
      if (!isModuleNotFound(e, name)) failures.push(`${name} is installed but failed to load: ${errorMessage(e).split('\n')[0]}`);
      continue;
    }
    if (tf.findBackendFactory('tensorflow') === null) {
      failures.push(`${name} loaded but registered no 'tensorflow' backend (a tfjs-core version other than 4.22?)`);
      continue;
    }
    if (!(await tf.setBackend('tensorflow'))) {
      failures.push(`${name} loaded but its backend did not start (see the warning above)`);
      continue;
    }
    const device = name.endsWith('-gpu') ? 'GPU build' : 'CPU build';
    const threads = os.availableParallelism();
    return { ok: true, threads, simd: false, detail: `tensorflow (${name}, ${device}; TensorFlow schedules its own ${threads} CPU threads)` };
  }
  const reason = failures.length > 0 ? failures.join('; ') : `neither ${TENSORFLOW_PACKAGES.join(' nor ')} is installed`;
  return { ok: false, reason: `${reason}; ${TENSORFLOW_INSTALL_HINT}` };
}

function isModuleNotFound(e: unknown, name: string): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'MODULE_NOT_FOUND' && errorMessage(e).includes(`'${name}'`);
}
