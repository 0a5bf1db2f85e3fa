import type { PixelTransform } from '../engine/data/batches';
import type { Dataset } from '../engine/data/dataset';
import type { Predictions } from '../engine/eval';
import type { LoadedModel } from '../engine/model/meta';

/**
 * What every probe gets from the audit run (src/audit implements it). Probes never load models or data
 * themselves and never write outside `outDir`; they ask the context for predictions and embeddings, which
 * the run caches and shares between probes (the same model on the same data with the same transform is
 * computed once per run).
 */
export interface ProbeContext {
  /** Softmax outputs of `model` on `data` (optionally a subset, optionally transformed), in `indices` order. */
  predict(model: AuditModelRef, data: Dataset, options?: PredictOptions): Promise<Predictions>;
  /** L2-normalised penultimate-layer embeddings, row-major [n, dim], in `indices` order. */
  embed(model: AuditModelRef, data: Dataset, options?: { indices?: readonly number[] }): Promise<{ dim: number; values: Float32Array }>;
  /** Fires when the user cancels: stop between batches (throwIfCancelled) and throw CancelledError. */
  signal?: AbortSignal;
  /** Human-readable progress lines. */
  log(line: string): void;
  /** Fine-grained progress within the current step. */
  progress(done: number, total: number, detail?: string): void;
}

export interface PredictOptions {
  indices?: readonly number[];
  /** Applied to each decoded image (pixels in [0, 255]) before normalisation: a trigger overlay. */
  transform?: PixelTransform;
  /** A stable id of `transform` (e.g. the trigger spec and its seed): the cache key. Required with `transform`. */
  transformId?: string;
}

/** A model of the lineage triad as the probes see it. */
export interface AuditModelRef {
  /** Unique in the run: `foundation`, `child-k2-s1`, `scratch-s1` ... (results.json `ModelEntry.id`). */
  id: string;
  role: 'foundation' | 'child' | 'scratch';
  loaded: LoadedModel;
  /** Content hash of topology and weights. */
  hash: string;
  freezeDepth: number | null;
  seed: number | null;
  /** Which source a child derives from in planted-bias runs (`planted` / `clean`), else null. */
  sourceId: string | null;
}
