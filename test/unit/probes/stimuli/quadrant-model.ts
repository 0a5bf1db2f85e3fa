import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { asFoundation } from '../../../../src/engine/model/foundation';
import type { LoadedModel } from '../../../../src/engine/model/meta';

/** Class names of the quadrant model, in logit order. */
export const QUADRANTS = ['top-left', 'top-right', 'bottom-left', 'bottom-right'];

/**
 * A classifier with known behaviour, cheap on the cpu backend: logit k = gain * sum of the normalised pixels in
 * quadrant `order[k]` (a 1x1 identity conv, then a Dense with quadrant masks). So the strong stimulus of class k
 * must be bright in quadrant order[k] and dark elsewhere. `order` permutes classes (a "child" that disagrees);
 * `bias` adds to the logits (a child that favours one class).
 */
export function quadrantModel(options: { size?: number; channels?: 1 | 3; gain?: number; order?: number[]; bias?: number[] } = {}): LoadedModel {
  const size = options.size ?? 10;
  const channels = options.channels ?? 1;
  const gain = options.gain ?? 0.15;
  const order = options.order ?? [0, 1, 2, 3];
  const input = tfl.input({ shape: [size, size, channels] });
  const conv = tfl.layers.conv2d({ filters: channels, kernelSize: 1, useBias: false, name: 'conv1' });
  const features = tfl.layers.flatten({ name: 'flatten' }).apply(conv.apply(input)) as tfl.SymbolicTensor;
  const dense = tfl.layers.dense({ units: 4, name: 'predictions' });
  const model = tfl.model({ inputs: input, outputs: dense.apply(features) as tfl.SymbolicTensor, name: 'quadrants' });
  const identity = new Float32Array(channels * channels);
  for (let c = 0; c < channels; c++) identity[c * channels + c] = 1;
  const kernel = new Float32Array(size * size * channels * 4);
  const half = size / 2;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const quadrant = (i < half ? 0 : 2) + (j < half ? 0 : 1);
      for (let c = 0; c < channels; c++) {
        const row = (i * size + j) * channels + c;
        kernel[row * 4 + order.indexOf(quadrant)] = gain / channels;
      }
    }
  }
  tf.tidy(() => {
    conv.setWeights([tf.tensor4d(identity, [1, 1, channels, channels])]);
    dense.setWeights([tf.tensor2d(kernel, [size * size * channels, 4]), tf.tensor1d(options.bias ?? [0, 0, 0, 0])]);
  });
  return asFoundation(model, {
    classNames: [...QUADRANTS],
    normalization: { scale: 1 / 255, mean: [0.5], std: [0.25] },
    seed: 1,
  });
}

/** Mean pixel value of each quadrant of an interleaved [size, size, channels] image. */
export function quadrantMeans(pixels: ArrayLike<number>, size: number, channels: number): number[] {
  const sums = [0, 0, 0, 0];
  const counts = [0, 0, 0, 0];
  const half = size / 2;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const quadrant = (i < half ? 0 : 2) + (j < half ? 0 : 1);
      for (let c = 0; c < channels; c++) {
        sums[quadrant] += pixels[(i * size + j) * channels + c];
        counts[quadrant]++;
      }
    }
  }
  return sums.map((s, q) => s / counts[q]);
}
