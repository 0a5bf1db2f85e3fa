import * as tf from '@tensorflow/tfjs-core';

/**
 * Adam on a plain tensor, for gradient *ascent*. Written out rather than using tf.train.adam because the
 * optimiser state here lives exactly as long as one stimulus batch, as ordinary tensors the caller disposes;
 * tf.train optimisers keep variables registered with the engine. Elementwise, so each stimulus in a batch
 * evolves exactly as it would alone.
 */
export class AscentAdam {
  private first: tf.Tensor;
  private second: tf.Tensor;
  private step = 0;

  constructor(
    shape: number[],
    private readonly learningRate: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-8,
  ) {
    this.first = tf.zeros(shape);
    this.second = tf.zeros(shape);
  }

  /** Returns params + lr * m̂ / (sqrt(v̂) + eps); the caller disposes `params` and `gradient`, the result is theirs. */
  ascend(params: tf.Tensor, gradient: tf.Tensor): tf.Tensor {
    this.step++;
    const [next, first, second] = tf.tidy(() => {
      const m = tf.add(tf.mul(this.first, this.beta1), tf.mul(gradient, 1 - this.beta1));
      const v = tf.add(tf.mul(this.second, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
      const mHat = tf.div(m, 1 - this.beta1 ** this.step);
      const vHat = tf.div(v, 1 - this.beta2 ** this.step);
      return [tf.add(params, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.epsilon)), this.learningRate)), m, v];
    });
    this.first.dispose();
    this.second.dispose();
    this.first = first;
    this.second = second;
    return next;
  }

  dispose(): void {
    this.first.dispose();
    this.second.dispose();
  }
}
