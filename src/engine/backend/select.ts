// The one place a compute backend is chosen. Everything else asks `currentBackendInfo()` what runs.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-core's Node build registers no gradients; tfjs-layers' build carries and registers all of them.
// Loaded here so that tf.grad works whichever engine module is imported first.
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import os from 'node:os';
import { AuditError, UsageError } from '../util/errors';
import { routeConsoleToStderr } from './console-to-stderr';
import type { BackendLoadOutcome } from './load-outcome';
import { loadNativeBackendGuarded } from './native-loader';
import { loadTensorflowBackend } from './tensorflow-backend';
import { loadWasmBackend } from './wasm-backend';

/** The backends a user can ask for; `auto` tries tensorflow, then native, then wasm (then cpu). */
export type BackendChoice = 'auto' | 'wasm' | 'tensorflow' | 'cpu' | 'native';

/** Every accepted `BackendChoice`, in the order `--help` lists them. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'wasm', 'tensorflow', 'cpu', 'native'];

/** What runs the tensors; recorded in every output (manifests, results, benchmark reports). */
export interface BackendInfo {
  /** The tfjs backend actually in use: 'wasm', 'tensorflow', 'native' or 'cpu'. */
  name: string;
  /** Compute threads the backend runs with. */
  threads: number;
  /** Whether the wasm SIMD build is in use (false for the other backends). */
  simd: boolean;
  /** One human-readable line: what was chosen and why (including why `auto` skipped a backend). */
  detail: string;
}

/** Options of `initBackend`. */
export interface InitBackendOptions {
  backend: BackendChoice;
  /** Compute threads for wasm and native; default: every core (`os.availableParallelism()`). */
  threads?: number;
  /** Receives the one line saying what was chosen; default: stderr. */
  log?: (line: string) => void;
}

/** A concrete backend's starter; tests substitute fakes to check the selection order. */
export type BackendLoader = (threads: number) => Promise<BackendLoadOutcome>;
export type ConcreteBackend = Exclude<BackendChoice, 'auto'>;

/** The real starters. */
export const defaultBackendLoaders: Readonly<Record<ConcreteBackend, BackendLoader>> = {
  tensorflow: () => loadTensorflowBackend(),
  native: (threads) => loadNativeBackendGuarded(threads),
  wasm: (threads) => loadWasmBackend(threads),
  cpu: loadCpuBackend,
};

/** The order `auto` tries. cpu closes it: slow, but it always runs. */
export const AUTO_ORDER: readonly ConcreteBackend[] = ['tensorflow', 'native', 'wasm', 'cpu'];

let current: BackendInfo | undefined;

/**
 * Selects and starts the compute backend, registers the project's kernels for it and prints one line
 * saying what runs (and, for `auto`, why the preferred ones were skipped). Call once per process before any
 * tensor work; calling again switches backends (a running wasm module keeps its thread count).
 * From here on, console output that would go to stdout goes to stderr (see console-to-stderr.ts).
 *
 * @throws UsageError for an unknown backend name or thread count; AuditError when the backend asked for
 *   cannot start (the message says why and, for tensorflow, how to install it).
 * @example
 * const info = await initBackend({ backend: 'auto' });
 * // stderr: "backend: wasm, threaded SIMD build, 2 threads ... (tensorflow skipped: ...; native skipped: ...)"
 */
export async function initBackend(
  options: InitBackendOptions,
  loaders: Readonly<Record<ConcreteBackend, BackendLoader>> = defaultBackendLoaders,
): Promise<BackendInfo> {
  routeConsoleToStderr();
  // Production mode: no tfjs banner urging tfjs-node on every run (the project chooses backends itself).
  tf.enableProdMode();
  const choice = parseBackendChoice(String(options.backend));
  const threads = options.threads ?? os.availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`threads must be a whole number >= 1, got ${options.threads}`);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  const candidates = choice === 'auto' ? AUTO_ORDER : [choice];
  const skipped: string[] = [];
  for (const name of candidates) {
    const outcome = await loaders[name](threads);
    if (!outcome.ok) {
      skipped.push(`${name} skipped: ${outcome.reason}`);
      continue;
    }
    const why = skipped.length > 0 ? ` (${skipped.join('; ')})` : '';
    const chosenBy = choice === 'auto' ? 'auto chose ' : '';
    current = { name, threads: outcome.threads, simd: outcome.simd, detail: `${chosenBy}${outcome.detail}${why}` };
    log(`backend: ${current.detail}`);
    return current;
  }
  if (choice === 'auto') throw new AuditError(`no compute backend could start: ${skipped.join('; ')}`, { code: 'BACKEND_UNAVAILABLE' });
  throw new AuditError(`backend '${choice}' is unavailable: ${skipped[0].slice(`${choice} skipped: `.length)}`, { code: 'BACKEND_UNAVAILABLE' });
}

/** The backend `initBackend` chose, or undefined before it ran. */
export function currentBackendInfo(): BackendInfo | undefined {
  return current;
}

/** Checks a user-supplied backend name (a `--backend` flag, a config field). */
export function parseBackendChoice(name: string): BackendChoice {
  if ((BACKEND_CHOICES as readonly string[]).includes(name)) return name as BackendChoice;
  throw new UsageError(`unknown backend '${name}'; choose one of ${BACKEND_CHOICES.join(', ')}`);
}

async function loadCpuBackend(): Promise<BackendLoadOutcome> {
  if (!(await tf.setBackend('cpu'))) return { ok: false, reason: 'tfjs could not start the cpu backend' };
  return { ok: true, threads: 1, simd: false, detail: 'cpu (pure JavaScript reference backend, 1 thread)' };
}
