import * as tf from '@tensorflow/tfjs-core';
import { Random, deriveSeed } from '../util/random';

/** One batch for training or evaluation. The consumer disposes `x` and `y`. */
export interface TrainBatch {
  x: tf.Tensor;
  y: tf.Tensor1D;
  /** Per-example loss weights (finetuning-data reweighting); absent means all 1. */
  w?: tf.Tensor1D;
  /** Positions of the batch's examples in the source (0..size-1, for per-example bookkeeping). */
  indices: number[];
}

/**
 * Where a trainer gets its examples: decoded images streamed from disk, or tensors already in memory
 * (the frozen-prefix cache). `epoch(e)` yields the same order for the same `e` (seeded), so a resumed run
 * sees the data in the order an uninterrupted one would have.
 */
export interface BatchSource {
  readonly size: number;
  readonly batchSize: number;
  /** Batches of epoch `epoch`; shuffled (seeded by the epoch) when `shuffle`. */
  epoch(epoch: number, shuffle: boolean): AsyncIterable<TrainBatch>;
}

/** Number of batches in one pass over a source. */
export function batchCount(source: BatchSource): number {
  return Math.ceil(source.size / source.batchSize);
}

/** Example order for one epoch: identity, or a permutation seeded by (seed, epoch). */
export function epochOrder(size: number, seed: number, epoch: number, shuffle: boolean): number[] {
  const order = Array.from({ length: size }, (_, i) => i);
  return shuffle ? new Random(deriveSeed(seed, 'epoch', epoch)).shuffle(order) : order;
}

/**
 * A source over tensors held in memory: `features` [N, ...] and integer `labels` [N]. The source keeps its
 * own references; call `dispose()` when done.
 */
export class TensorSource implements BatchSource {
  readonly size: number;
  private values: Float32Array | Int32Array | undefined;

  constructor(
    private readonly features: tf.Tensor,
    private readonly labels: Int32Array,
    readonly batchSize: number,
    private readonly seed: number,
    private readonly weights?: Float32Array,
  ) {
    this.size = labels.length;
    if (features.shape[0] !== labels.length) throw new Error(`TensorSource: ${features.shape[0]} feature rows but ${labels.length} labels`);
  }

  async *epoch(epoch: number, shuffle: boolean): AsyncIterable<TrainBatch> {
    const order = epochOrder(this.size, this.seed, epoch, shuffle);
    // Rows are copied out of the features' values: tf.gather on the cpu-derived backends walks index by index
    // in JavaScript and cost more than the training step it feeds (frozen-prefix caching was slower than none).
    const values = (this.values ??= (await this.features.data()) as Float32Array | Int32Array);
    const rowShape = this.features.shape.slice(1);
    const rowSize = this.size === 0 ? 0 : values.length / this.size;
    for (let start = 0; start < order.length; start += this.batchSize) {
      const indices = order.slice(start, start + this.batchSize);
      const rows = values instanceof Int32Array ? new Int32Array(indices.length * rowSize) : new Float32Array(indices.length * rowSize);
      indices.forEach((row, j) => rows.set(values.subarray(row * rowSize, (row + 1) * rowSize), j * rowSize));
      const x = tf.tensor(rows, [indices.length, ...rowShape], this.features.dtype);
      const y = tf.tensor1d(Int32Array.from(indices, (i) => this.labels[i]), 'int32');
      const w = this.weights ? tf.tensor1d(Float32Array.from(indices, (i) => this.weights![i])) : undefined;
      yield { x, y, ...(w ? { w } : {}), indices };
    }
  }

  dispose(): void {
    this.features.dispose();
  }
}
