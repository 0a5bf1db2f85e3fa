import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { withInputGradientsOnly } from './backend/kernels/input-gradients-only';
import { nativeGraphFor } from './backend/native-graph';
import { logits } from './outputs';

/** Which class score to differentiate: the pre-softmax logit or the log-softmax (log-probability). */
export type ScoreKind = 'logit' | 'logsoftmax';

/**
 * Gradient of a class score with respect to a batch of input images: the primitive strong-stimulus
 * generation climbs. Row i's score is `score_c(model(x_i))` with `c = classIndex` (one class for every
 * row) or `classIndex[i]`; the model runs in inference mode, so rows do not interact and the gradient of
 * the summed score is each row's own gradient. Convolution filter gradients are skipped
 * (`withInputGradientsOnly`), which makes each step ~30% cheaper on the project's backends.
 *
 * Returns the gradient (same shape as `x`) and the scores [N]; the caller disposes both.
 *
 * @example
 * const { gradient, scores } = inputGradient(model, images, 3, { score: 'logsoftmax' });
 */
export function inputGradient(
  model: tfl.LayersModel,
  x: tf.Tensor4D,
  classIndex: number | number[],
  options: { score: ScoreKind },
): { gradient: tf.Tensor4D; scores: tf.Tensor1D } {
  const n = x.shape[0];
  const classes = typeof classIndex === 'number' ? new Array<number>(n).fill(classIndex) : classIndex;
  if (classes.length !== n) throw new Error(`inputGradient: ${classes.length} class indices for a batch of ${n}`);
  const numClasses = (model.outputs[0].shape[1] ?? 0) as number;
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) throw new Error(`inputGradient: class index ${c} is outside 0..${numClasses - 1}`);
  }
  // On the native backend, forward and backward off the tfjs engine (native-graph.ts) when the model's layers allow.
  const graph = nativeGraphFor(model, x);
  if (graph !== undefined) {
    const { gradient, scores } = graph.inputGradient(x, classes, options.score === 'logsoftmax');
    return { gradient: gradient as tf.Tensor4D, scores };
  }
  return tf.tidy(() => {
    const mask = tf.oneHot(tf.tensor1d(classes, 'int32'), numClasses);
    const perRow = (input: tf.Tensor4D): tf.Tensor1D => {
      const z = logits(model, input, false);
      const s = options.score === 'logsoftmax' ? tf.logSoftmax(z) : z;
      return tf.sum(tf.mul(s, mask), 1) as tf.Tensor1D;
    };
    let scores: tf.Tensor1D | undefined;
    // Only the input gradient is wanted: the conv filter-gradient kernels may skip their work.
    const gradient = withInputGradientsOnly(
      () =>
        tf.grad((input: tf.Tensor) => {
          const s = perRow(input as tf.Tensor4D);
          scores = tf.keep(s);
          return tf.sum(s);
        })(x) as tf.Tensor4D,
    );
    return { gradient, scores: scores! };
  });
}
