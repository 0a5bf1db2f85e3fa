import * as tf from '@tensorflow/tfjs-core';

/**
 * Regularisers subtracted from the class score while a stimulus is optimised, on u = pixel / 255 in [0, 1]
 * so their weights mean the same at any image size and for any model normalisation. Both are per-image means
 * (not sums): rows of a batch do not interact.
 */

/** Per image: mean over pixels and channels of (u - 0.5)^2; 0 for a uniform mid-grey image. */
export function l2Penalty(pixels: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(tf.div(pixels, 255), 0.5)), [1, 2, 3]) as tf.Tensor1D);
}

/**
 * Per image: anisotropic total variation, the mean absolute difference between vertically and horizontally
 * neighbouring u values (each direction's mean, summed). 0 for a constant image.
 */
export function totalVariationPenalty(pixels: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => {
    const [n, height, width, channels] = pixels.shape;
    const u = tf.div(pixels, 255);
    let total: tf.Tensor1D = tf.zeros([n]);
    if (height > 1) {
      const down = tf.sub(tf.slice(u, [0, 1, 0, 0], [n, height - 1, width, channels]), tf.slice(u, [0, 0, 0, 0], [n, height - 1, width, channels]));
      total = tf.add(total, tf.mean(tf.abs(down), [1, 2, 3]));
    }
    if (width > 1) {
      const right = tf.sub(tf.slice(u, [0, 0, 1, 0], [n, height, width - 1, channels]), tf.slice(u, [0, 0, 0, 0], [n, height, width - 1, channels]));
      total = tf.add(total, tf.mean(tf.abs(right), [1, 2, 3]));
    }
    return total;
  });
}
