import * as tf from '@tensorflow/tfjs-core';
import { throwIfCancelled } from '../util/errors';
import { Random, deriveSeed } from '../util/random';
import { type AugmentOptions, augmentPixels, augmentsAnything } from './augment';
import type { Dataset } from './dataset';
import { mapLimit } from './map-limit';
import { type Normalization, assertNormalization, normalizeInto } from './normalization';

/**
 * Changes one decoded image in place before augmentation and normalisation (pixels in [0, 255], HWC);
 * e.g. the intervention probe overlays a trigger. `sampleIndex` is the image's index in the dataset.
 */
export type PixelTransform = (pixels: Float32Array, height: number, width: number, channels: number, sampleIndex: number) => void;

/** Options of {@link batches}. */
export interface BatchOptions {
  batchSize: number;
  /** Model input [height, width, channels]; images are resized and converted to it. */
  inputShape: readonly [number, number, number];
  normalization: Normalization;
  /** Shuffle the order with `seed` (default false: the order of `indices`). */
  shuffle?: boolean;
  /**
   * Seeds the shuffle and the augmentation (required when either is on). Pass a different seed per epoch,
   * e.g. `deriveSeed(runSeed, 'epoch', epoch)`: the same seed gives the same order and the same augmentation
   * of every image, whatever the batch size.
   */
  seed?: number;
  augment?: AugmentOptions;
  /** Applied to each image after decoding, before augmentation and normalisation. */
  transform?: PixelTransform;
  /** Sample indices to iterate (default: all samples in order). */
  indices?: readonly number[];
  /** Drop a last batch smaller than `batchSize` (default false). */
  dropRemainder?: boolean;
  /** Checked between batches; a fired signal throws CancelledError. */
  signal?: AbortSignal;
}

/** One batch. The consumer owns and disposes `x` and `y`. */
export interface Batch {
  /** [n, height, width, channels] float32, normalised. */
  x: tf.Tensor4D;
  /** [n] int32 class labels (indices into `dataset.classNames`). */
  y: tf.Tensor1D;
  /** The dataset sample indices of the batch's rows. */
  indices: number[];
}

/** Images decoded at once within a batch (sharp works on libuv's thread pool). */
const DECODE_CONCURRENCY = 8;

/**
 * The sample indices of each batch, in order: `indices` (default all), shuffled with `seed` when asked.
 * Deterministic, so a resumed run can skip the batches it already did.
 */
export function batchPlan(
  dataset: Pick<Dataset, 'samples'>,
  options: Pick<BatchOptions, 'batchSize' | 'shuffle' | 'seed' | 'indices' | 'dropRemainder'>,
): number[][] {
  const { batchSize } = options;
  if (!(Number.isSafeInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const order = options.indices !== undefined ? [...options.indices] : dataset.samples.map((s) => s.index);
  for (const index of order) {
    if (!Number.isInteger(index) || index < 0 || index >= dataset.samples.length) {
      throw new RangeError(`sample index ${index} is outside 0..${dataset.samples.length - 1}`);
    }
  }
  if (options.shuffle === true) new Random(requireSeed(options.seed, 'shuffle')).shuffle(order);
  const plan: number[][] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    const batch = order.slice(start, start + batchSize);
    if (batch.length < batchSize && options.dropRemainder === true) break;
    plan.push(batch);
  }
  return plan;
}

/**
 * Streams normalised NHWC float32 batches. Images are decoded lazily, at most one batch ahead of the one
 * the consumer holds, so memory follows the batch size and not the dataset size. Tensors are created only
 * when a batch is handed over: a consumer that stops early leaks nothing.
 *
 * Per image: decode and resize to `inputShape` (pixels in [0, 255]) -> `transform` -> augmentation
 * (seeded per sample: `deriveSeed(seed, 'augment', sampleIndex)`) -> normalisation.
 *
 * @example
 * for await (const { x, y } of batches(data, { batchSize: 32, inputShape: [28, 28, 1], normalization: UNIT_RANGE, shuffle: true, seed: deriveSeed(seed, 'epoch', epoch) })) {
 *   try { trainStep(x, y); } finally { x.dispose(); y.dispose(); }
 * }
 * @throws AuditError when an image does not decode; CancelledError when `signal` fires.
 */
export async function* batches(dataset: Dataset, options: BatchOptions): AsyncGenerator<Batch, void, undefined> {
  const [height, width, channels] = options.inputShape;
  assertNormalization(options.normalization, channels);
  const augment = augmentsAnything(options.augment) ? options.augment : undefined;
  const augmentSeed = augment !== undefined ? requireSeed(options.seed, 'augment') : 0;
  const plan = batchPlan(dataset, options);
  const imageSize = height * width * channels;

  const prepare = async (indices: number[]): Promise<{ data: Float32Array; labels: Int32Array }> => {
    const data = new Float32Array(indices.length * imageSize);
    await mapLimit(indices, DECODE_CONCURRENCY, async (sampleIndex, row) => {
      let { pixels } = await dataset.loadImage(sampleIndex, { height, width, channels });
      options.transform?.(pixels, height, width, channels, sampleIndex);
      if (augment !== undefined) pixels = augmentPixels(pixels, height, width, channels, augment, new Random(deriveSeed(augmentSeed, 'augment', sampleIndex)));
      normalizeInto(pixels, channels, options.normalization, data, row * imageSize);
    });
    return { data, labels: Int32Array.from(indices, (i) => dataset.samples[i].label) };
  };

  let pending: Promise<{ data: Float32Array; labels: Int32Array }> | undefined;
  const start = (k: number): void => {
    pending = prepare(plan[k]);
    // Marked handled here; the error still surfaces when the batch is awaited below.
    pending.catch(() => undefined);
  };
  try {
    if (plan.length > 0) {
      throwIfCancelled(options.signal);
      start(0);
    }
    for (let k = 0; k < plan.length; k++) {
      const ready = await (pending as Promise<{ data: Float32Array; labels: Int32Array }>);
      pending = undefined;
      throwIfCancelled(options.signal);
      if (k + 1 < plan.length) start(k + 1);
      const indices = plan[k];
      yield {
        x: tf.tensor4d(ready.data, [indices.length, height, width, channels], 'float32'),
        y: tf.tensor1d(ready.labels, 'int32'),
        indices,
      };
    }
  } finally {
    // Do not leave decoding running behind a consumer that stopped early.
    if (pending !== undefined) await pending.catch(() => undefined);
  }
}

function requireSeed(seed: number | undefined, why: string): number {
  if (seed === undefined || !Number.isFinite(seed)) throw new RangeError(`batches: a seed is required to ${why}`);
  return seed;
}
