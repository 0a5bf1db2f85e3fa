import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../../engine/data/dataset';
import { predict as predictAll, type Predictions } from '../../engine/eval';
import { penultimateFeatures } from '../../engine/outputs';
import { evaluationSource } from '../../engine/train/fit';
import { throwIfCancelled } from '../../engine/util/errors';
import { hashJson } from '../../engine/util/hash';
import type { AuditModelRef, PredictOptions, ProbeContext } from '../../probes/context';

/** Images per inference batch: larger than training batches, since no gradients are kept. */
export const INFERENCE_BATCH_SIZE = 128;

export interface Embeddings {
  dim: number;
  values: Float32Array;
}

/** How often the cache answered from memory: reported in the manifest and the benchmark. */
export interface CacheStats {
  predictionHits: number;
  predictionMisses: number;
  embeddingHits: number;
  embeddingMisses: number;
  imagesPredicted: number;
  imagesEmbedded: number;
}

/**
 * The run-wide cache of predictions and embeddings: one model on one dataset (subset, transform) is computed once
 * and shared by every probe that asks. Keyed by (model content hash, dataset content hash, indices, transform id).
 * Concurrent requests for the same key share one computation. `release(modelHash)` drops a model's entries when
 * the run is done with it.
 */
export class RunCache {
  private readonly predictions = new Map<string, Promise<Predictions>>();
  private readonly embeddings = new Map<string, Promise<Embeddings>>();
  readonly stats: CacheStats = { predictionHits: 0, predictionMisses: 0, embeddingHits: 0, embeddingMisses: 0, imagesPredicted: 0, imagesEmbedded: 0 };

  constructor(private readonly batchSize = INFERENCE_BATCH_SIZE) {}

  async predict(model: AuditModelRef, data: Dataset, options: PredictOptions & { signal?: AbortSignal; onBatch?: (done: number, total: number) => void } = {}): Promise<Predictions> {
    if (options.transform !== undefined && options.transformId === undefined) {
      throw new Error('ProbeContext.predict: a transform needs a transformId (its cache key)');
    }
    const key = await cacheKey(model, data, options.indices, options.transformId ?? null);
    const cached = this.predictions.get(key);
    if (cached !== undefined) {
      this.stats.predictionHits++;
      return cached;
    }
    this.stats.predictionMisses++;
    const pending = (async () => {
      const source = evaluationSource(model.loaded, data, { batchSize: this.batchSize, indices: options.indices, transform: options.transform, signal: options.signal });
      const result = await predictAll(model.loaded.model, source, { signal: options.signal, onBatch: options.onBatch });
      this.stats.imagesPredicted += source.size;
      return result;
    })();
    this.predictions.set(key, pending);
    // A failed or cancelled computation must not stay cached.
    pending.catch(() => this.predictions.delete(key));
    return pending;
  }

  async embed(model: AuditModelRef, data: Dataset, options: { indices?: readonly number[]; signal?: AbortSignal; onBatch?: (done: number, total: number) => void } = {}): Promise<Embeddings> {
    const key = await cacheKey(model, data, options.indices, null);
    const cached = this.embeddings.get(key);
    if (cached !== undefined) {
      this.stats.embeddingHits++;
      return cached;
    }
    this.stats.embeddingMisses++;
    const pending = this.computeEmbeddings(model, data, options);
    this.embeddings.set(key, pending);
    pending.catch(() => this.embeddings.delete(key));
    return pending;
  }

  private async computeEmbeddings(model: AuditModelRef, data: Dataset, options: { indices?: readonly number[]; signal?: AbortSignal; onBatch?: (done: number, total: number) => void }): Promise<Embeddings> {
    const source = evaluationSource(model.loaded, data, { batchSize: this.batchSize, indices: options.indices, signal: options.signal });
    let values: Float32Array | undefined;
    let dim = 0;
    let done = 0;
    for await (const { x, y, indices } of source.epoch(0, false)) {
      try {
        throwIfCancelled(options.signal);
        const normalized = tf.tidy(() => {
          const features = penultimateFeatures(model.loaded.model, x);
          const flat = tf.reshape(features, [features.shape[0], -1]) as tf.Tensor2D;
          // L2-normalised rows; an all-zero feature vector stays zero instead of becoming NaN.
          return tf.div(flat, tf.maximum(tf.norm(flat, 'euclidean', 1, true), 1e-12));
        });
        const rows = (await normalized.data()) as Float32Array;
        dim = normalized.shape[1] as number;
        normalized.dispose();
        values ??= new Float32Array(source.size * dim);
        indices.forEach((position, row) => values!.set(rows.subarray(row * dim, (row + 1) * dim), position * dim));
        done += indices.length;
        options.onBatch?.(done, source.size);
      } finally {
        x.dispose();
        y.dispose();
      }
    }
    this.stats.imagesEmbedded += source.size;
    return { dim, values: values ?? new Float32Array(0) };
  }

  /** Forgets every entry of a model (its predictions are no longer needed once its steps are done). */
  release(modelHash: string): void {
    for (const map of [this.predictions, this.embeddings] as Map<string, unknown>[]) {
      for (const key of [...map.keys()]) if (key.startsWith(`${modelHash}|`)) map.delete(key);
    }
  }
}

async function cacheKey(model: AuditModelRef, data: Dataset, indices: readonly number[] | undefined, transformId: string | null): Promise<string> {
  return `${model.hash}|${await data.contentHash()}|${indices === undefined ? 'all' : hashJson(indices)}|${transformId ?? 'none'}`;
}

/** The `ProbeContext` a probe step gets: the run cache, the run's cancel signal, and the step's log and progress. */
export function probeContext(cache: RunCache, options: { signal?: AbortSignal; log: (line: string) => void; progress: (done: number, total: number, detail?: string) => void }): ProbeContext {
  return {
    predict: (model, data, predictOptions) => cache.predict(model, data, { ...predictOptions, signal: options.signal }),
    embed: (model, data, embedOptions) => cache.embed(model, data, { ...embedOptions, signal: options.signal }),
    signal: options.signal,
    log: options.log,
    progress: options.progress,
  };
}
