import * as tf from '@tensorflow/tfjs-core';
import { type Normalization, assertNormalization } from '../../engine/data/normalization';

/**
 * Pixels [N, H, W, C] in [0, 255] to model inputs with the model's normalisation, as a differentiable tensor
 * op: (pixel * scale - mean[c]) / std[c], the same affine map `normalizeInto` applies to data batches.
 */
export function normalizePixels(pixels: tf.Tensor4D, normalization: Normalization): tf.Tensor4D {
  const channels = pixels.shape[3];
  assertNormalization(normalization, channels);
  const perChannel = (values: readonly number[]): number[] => Array.from({ length: channels }, (_, c) => (values.length === 1 ? values[0] : values[c]));
  const std = perChannel(normalization.std);
  const mean = perChannel(normalization.mean);
  return tf.tidy(() => {
    const multiply = tf.tensor1d(std.map((s) => normalization.scale / s));
    const add = tf.tensor1d(mean.map((m, c) => -m / std[c]));
    return tf.add(tf.mul(pixels, multiply), add) as tf.Tensor4D;
  });
}
