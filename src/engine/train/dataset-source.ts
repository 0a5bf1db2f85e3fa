import * as tf from '@tensorflow/tfjs-core';
import type { AugmentOptions } from '../data/augment';
import { batches, type PixelTransform } from '../data/batches';
import type { Dataset } from '../data/dataset';
import type { Normalization } from '../data/normalization';
import { deriveSeed } from '../util/random';
import type { BatchSource, TrainBatch } from './source';

export interface DatasetSourceOptions {
  /** Dataset sample indices this source covers, in order (default all). Positions 0..n-1 index this list. */
  indices?: readonly number[];
  batchSize: number;
  inputShape: readonly [number, number, number];
  normalization: Normalization;
  seed: number;
  augment?: AugmentOptions;
  transform?: PixelTransform;
  /** Loss weight per dataset sample (indexed by dataset sample index), for reweighting. */
  sampleWeights?: Float32Array;
  signal?: AbortSignal;
}

/**
 * A `BatchSource` over images decoded from a dataset, streamed batch by batch. The shuffle and the
 * augmentation of epoch e are seeded by (seed, e), so a resumed run sees what an uninterrupted one would.
 */
export class DatasetSource implements BatchSource {
  readonly size: number;
  readonly batchSize: number;
  private readonly indices: readonly number[];
  private readonly position = new Map<number, number>();

  constructor(readonly dataset: Dataset, private readonly options: DatasetSourceOptions) {
    this.indices = options.indices ?? dataset.samples.map((s) => s.index);
    this.indices.forEach((sampleIndex, pos) => this.position.set(sampleIndex, pos));
    this.size = this.indices.length;
    this.batchSize = options.batchSize;
  }

  /** The dataset sample index at position `pos` of this source. */
  sampleIndexAt(pos: number): number {
    return this.indices[pos];
  }

  async *epoch(epoch: number, shuffle: boolean): AsyncIterable<TrainBatch> {
    const o = this.options;
    const seed = deriveSeed(o.seed, 'epoch', epoch);
    for await (const b of batches(this.dataset, {
      batchSize: o.batchSize, inputShape: o.inputShape, normalization: o.normalization, shuffle, seed,
      augment: o.augment, transform: o.transform, indices: this.indices, signal: o.signal,
    })) {
      const w = o.sampleWeights ? tf.tensor1d(Float32Array.from(b.indices, (i) => o.sampleWeights![i])) : undefined;
      yield { x: b.x, y: b.y, ...(w ? { w } : {}), indices: b.indices.map((i) => this.position.get(i)!) };
    }
  }
}
