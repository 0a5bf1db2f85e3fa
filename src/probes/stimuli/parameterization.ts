import * as tf from '@tensorflow/tfjs-core';
import { inverseRealDft2d, spectrumScale, spectrumWidth } from './fourier';
import type { StimulusParameterization } from './params';

/**
 * Lucid's square root of ImageNet's RGB colour covariance (from its SVD), columns normalised by the largest
 * column norm. Mixing raw channels through it makes the optimiser step along decorrelated colour directions.
 * It describes ImageNet's colour statistics; for other RGB data it is an approximation (recorded in notes).
 */
const COLOR_CORRELATION_SVD_SQRT = [
  [0.26, 0.09, 0.02],
  [0.27, 0.0, -0.05],
  [0.27, -0.09, 0.03],
];

/** Raw optimisation parameters of a stimulus batch and the differentiable map to valid pixels. */
export interface StimulusParameterizer {
  /** Raw values per image (the parameter tensor is [N, perImage]). */
  readonly perImage: number;
  /** Raw [N, perImage] -> pixels [N, H, W, C] in (0, 255), differentiable: 255 * sigmoid(basis(raw)). */
  toPixels(raw: tf.Tensor2D): tf.Tensor4D;
  /** Things to record about this choice (e.g. decorrelation skipped for grayscale). */
  readonly notes: string[];
}

/**
 * The parameterisation `kind` for images of `shape` [H, W, C]. `pixel`: one raw value per pixel and channel.
 * `fourier`: a complex spectrum per channel ([2, C, H, W/2+1] raw values, real then imaginary) scaled by
 * {@link spectrumScale} and inverse-transformed, divided by 4 as Lucid does. `decorrelated` variants mix the
 * channels with the colour matrix above before the sigmoid; for one channel there is nothing to decorrelate
 * and they equal their plain counterparts (said in `notes`).
 */
export function stimulusParameterizer(kind: StimulusParameterization, shape: readonly [number, number, number], decayPower: number): StimulusParameterizer {
  const [height, width, channels] = shape;
  const fourier = kind === 'fourier' || kind === 'fourier-decorrelated';
  const wantsDecorrelation = kind === 'decorrelated' || kind === 'fourier-decorrelated';
  const notes: string[] = [];
  if (wantsDecorrelation && channels !== 3) notes.push(`colour decorrelation is a no-op for ${channels}-channel inputs: there are no colour channels to decorrelate`);
  if (wantsDecorrelation && channels === 3) notes.push("colour decorrelation uses Lucid's ImageNet colour correlation matrix");
  const decorrelate = wantsDecorrelation && channels === 3;
  const columns = spectrumWidth(width);
  const scale = fourier ? spectrumScale(height, width, decayPower) : undefined;
  const perImage = fourier ? 2 * channels * height * columns : height * width * channels;

  const toPixels = (raw: tf.Tensor2D): tf.Tensor4D =>
    tf.tidy(() => {
      const n = raw.shape[0];
      let image: tf.Tensor4D;
      if (scale !== undefined) {
        const spectrum = tf.reshape(raw, [n, 2, channels * height * columns]);
        const scaleTensor = tf.tensor3d(scale, [1, height, columns]);
        const part = (index: number): tf.Tensor3D =>
          tf.mul(tf.reshape(tf.slice(spectrum, [0, index, 0], [n, 1, channels * height * columns]), [n * channels, height, columns]), scaleTensor) as tf.Tensor3D;
        const planes = tf.div(inverseRealDft2d(part(0), part(1), width), 4);
        image = tf.transpose(tf.reshape(planes, [n, channels, height, width]), [0, 2, 3, 1]) as tf.Tensor4D;
      } else {
        image = tf.reshape(raw, [n, height, width, channels]) as tf.Tensor4D;
      }
      if (decorrelate) {
        const matrix = tf.tensor2d(normalizedColorMatrix(), [3, 3]);
        image = tf.reshape(tf.matMul(tf.reshape(image, [n * height * width, 3]), matrix, false, true), [n, height, width, 3]) as tf.Tensor4D;
      }
      return tf.mul(tf.sigmoid(image), 255) as tf.Tensor4D;
    });

  return { perImage, toPixels, notes };
}

function normalizedColorMatrix(): Float32Array {
  const columnNorms = [0, 1, 2].map((j) => Math.hypot(...COLOR_CORRELATION_SVD_SQRT.map((row) => row[j])));
  const largest = Math.max(...columnNorms);
  return Float32Array.from(COLOR_CORRELATION_SVD_SQRT.flat().map((v) => v / largest));
}
