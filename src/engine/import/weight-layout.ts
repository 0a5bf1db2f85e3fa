import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * Weight layout conversion from PyTorch/ONNX (channels-first) to TF.js (channels-last), on plain arrays so
 * no tensor is created until the values go into a layer.
 */

/** A weight value ready for a layer: TF.js layout. */
export interface WeightArray {
  shape: number[];
  values: Float32Array;
}

/** Conv kernel `[out, in, kh, kw]` (OIHW) -> `[kh, kw, in, out]` (HWIO). */
export function oihwToHwio(values: Float32Array, shape: readonly number[]): WeightArray {
  const [o, i, h, w] = shape;
  const out = new Float32Array(values.length);
  for (let oo = 0; oo < o; oo++) {
    for (let ii = 0; ii < i; ii++) {
      for (let hh = 0; hh < h; hh++) {
        for (let ww = 0; ww < w; ww++) out[((hh * w + ww) * i + ii) * o + oo] = values[((oo * i + ii) * h + hh) * w + ww];
      }
    }
  }
  return { shape: [h, w, i, o], values: out };
}

/**
 * Depthwise kernel `[channels * multiplier, 1, kh, kw]` -> `[kh, kw, channels, multiplier]`. Output
 * channel `c * multiplier + m` is the same channel in both conventions.
 */
export function depthwiseOihwToHwcm(values: Float32Array, shape: readonly number[], channels: number): WeightArray {
  const [o, , h, w] = shape;
  const multiplier = o / channels;
  const out = new Float32Array(values.length);
  for (let c = 0; c < channels; c++) {
    for (let m = 0; m < multiplier; m++) {
      for (let hh = 0; hh < h; hh++) {
        for (let ww = 0; ww < w; ww++) out[((hh * w + ww) * channels + c) * multiplier + m] = values[((c * multiplier + m) * h + hh) * w + ww];
      }
    }
  }
  return { shape: [h, w, channels, multiplier], values: out };
}

/** A `[rows, cols]` matrix -> `[cols, rows]` (linear weight `[out, in]` -> Dense kernel `[in, out]`). */
export function transposeMatrix(values: Float32Array, rows: number, cols: number): WeightArray {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return { shape: [cols, rows], values: out };
}

/**
 * Sets a built layer's weights from arrays (in `layer.weights` order), checking every shape; the
 * temporary tensors are disposed (setWeights copies them into the layer's variables).
 */
export function setLayerWeights(layer: tfl.layers.Layer, arrays: readonly WeightArray[]): void {
  const expected = layer.weights.map((w) => w.shape);
  if (expected.length !== arrays.length || expected.some((shape, i) => shape.join(',') !== arrays[i].shape.join(','))) {
    throw new Error(
      `setLayerWeights(${layer.name}): layer expects ${JSON.stringify(expected)}, got ${JSON.stringify(arrays.map((a) => a.shape))}`,
    );
  }
  const tensors = arrays.map((a) => tf.tensor(a.values, a.shape, 'float32'));
  try {
    layer.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}

/**
 * Runs a model builder; if it throws, disposes every variable created meanwhile (layers built before the
 * failing one own variables that no model will ever dispose).
 */
export function disposeVariablesOnError<T>(build: () => T): T {
  const before = new Set(Object.keys(tf.engine().registeredVariables));
  try {
    return build();
  } catch (e) {
    for (const [name, variable] of Object.entries(tf.engine().registeredVariables)) if (!before.has(name)) variable.dispose();
    throw e;
  }
}
