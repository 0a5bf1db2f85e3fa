import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../../engine/util/random';

/**
 * The random jitter / zoom / rotation applied to a stimulus at every optimisation step (transformation
 * robustness: a stimulus must keep its score when slightly moved, so the optimiser cannot exploit pixel-exact
 * high-frequency patterns).
 *
 * Why differentiable resampling rather than "transform, take the gradient, map it back with the inverse
 * transform": the gradient of score(T(x)) with respect to x is the *adjoint* Tᵀ applied to the gradient, and
 * for bilinear resampling with zoom or rotation the adjoint is not the inverse (downsampling's adjoint spreads
 * each value over several pixels; the inverse interpolates). Only integer translations, which permute pixels,
 * have adjoint = inverse. So the resampling is an op in the graph whose gradient is its exact adjoint.
 */

/** One image's transform: content is zoomed by `scale` and rotated by `angleRadians` about the image centre, then moved by (dx, dy) pixels. */
export interface ImageTransform {
  dx: number;
  dy: number;
  scale: number;
  angleRadians: number;
}

export const IDENTITY_TRANSFORM: Readonly<ImageTransform> = Object.freeze({ dx: 0, dy: 0, scale: 1, angleRadians: 0 });

/** Ranges the random transforms are drawn from. */
export interface TransformRanges {
  jitterPixels: number;
  scaleRange: readonly [number, number];
  rotationDegrees: number;
}

/** Draws one transform: every component uniform in its range. */
export function sampleTransform(ranges: TransformRanges, random: Random): ImageTransform {
  const uniform = (low: number, high: number): number => low + (high - low) * random.next();
  return {
    dx: uniform(-ranges.jitterPixels, ranges.jitterPixels),
    dy: uniform(-ranges.jitterPixels, ranges.jitterPixels),
    scale: uniform(ranges.scaleRange[0], ranges.scaleRange[1]),
    angleRadians: (uniform(-ranges.rotationDegrees, ranges.rotationDegrees) * Math.PI) / 180,
  };
}

/**
 * Bilinear sampling weights of a batch of transforms: output pixel k of image n reads four source rows of the
 * flattened batch [N * H * W, C] with these weights. Source coordinates outside the image are clamped to the
 * border (edge pixels repeat).
 */
export interface ResamplePlan {
  /** [4][N * H * W] rows into the flattened batch. */
  sources: Int32Array[];
  /** [4][N * H * W] bilinear weights; the four weights of a pixel sum to 1. */
  weights: Float32Array[];
}

/**
 * The sampling plan of `transforms` (one per image) on H x W images. Output pixel (row i, column j) reads the
 * source point p = R(-angle) ((j, i) - centre - (dx, dy)) / scale + centre, the inverse of the forward map
 * q = scale R(angle) (p - centre) + centre + (dx, dy); so the identity transform reads every pixel exactly.
 */
export function resamplePlan(transforms: readonly ImageTransform[], height: number, width: number): ResamplePlan {
  const pixels = height * width;
  const total = transforms.length * pixels;
  const sources = [0, 1, 2, 3].map(() => new Int32Array(total));
  const weights = [0, 1, 2, 3].map(() => new Float32Array(total));
  const cy = (height - 1) / 2;
  const cx = (width - 1) / 2;
  transforms.forEach((t, n) => {
    const cos = Math.cos(t.angleRadians);
    const sin = Math.sin(t.angleRadians);
    for (let i = 0; i < height; i++) {
      for (let j = 0; j < width; j++) {
        const u = j - cx - t.dx;
        const v = i - cy - t.dy;
        const xs = (cos * u + sin * v) / t.scale + cx;
        const ys = (-sin * u + cos * v) / t.scale + cy;
        const x0 = Math.floor(xs);
        const y0 = Math.floor(ys);
        const wx = xs - x0;
        const wy = ys - y0;
        const k = n * pixels + i * width + j;
        const base = n * pixels;
        const col0 = clamp(x0, width);
        const col1 = clamp(x0 + 1, width);
        const row0 = clamp(y0, height);
        const row1 = clamp(y0 + 1, height);
        sources[0][k] = base + row0 * width + col0;
        sources[1][k] = base + row0 * width + col1;
        sources[2][k] = base + row1 * width + col0;
        sources[3][k] = base + row1 * width + col1;
        weights[0][k] = (1 - wy) * (1 - wx);
        weights[1][k] = (1 - wy) * wx;
        weights[2][k] = wy * (1 - wx);
        weights[3][k] = wy * wx;
      }
    }
  });
  return { sources, weights };
}

/**
 * Resamples a batch [N, H, W, C] with a plan, as a differentiable op: forward gathers and blends the four
 * source pixels; the gradient scatters each output gradient back to those pixels with the same weights (the
 * exact adjoint). The gradient is written with scatterND rather than left to tf.gather's own gradient because
 * that one needs UnsortedSegmentSum, which the wasm backend lacks; scatterND sums duplicate indices.
 */
export function resample(images: tf.Tensor4D, plan: ResamplePlan): tf.Tensor4D {
  const [n, height, width, channels] = images.shape;
  const rows = n * height * width;
  if (plan.sources[0].length !== rows) throw new Error(`resample: the plan covers ${plan.sources[0].length} pixels, the batch has ${rows}`);
  const apply = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const flat = tf.reshape(inputs[0] as tf.Tensor, [rows, channels]);
    let out: tf.Tensor | undefined;
    for (let k = 0; k < 4; k++) {
      const term = tf.mul(tf.gather(flat, tf.tensor1d(plan.sources[k], 'int32')), tf.tensor2d(plan.weights[k], [rows, 1]));
      out = out === undefined ? term : tf.add(out, term);
    }
    return {
      value: tf.reshape(out!, [n, height, width, channels]),
      gradFunc: (dy: tf.Tensor) => {
        const dyFlat = tf.reshape(dy, [rows, channels]);
        const updates = tf.concat(plan.weights.map((w) => tf.mul(dyFlat, tf.tensor2d(w, [rows, 1]))), 0);
        const indices = tf.tensor2d(concatInt32(plan.sources), [4 * rows, 1], 'int32');
        return tf.reshape(tf.scatterND(indices, updates, [rows, channels]), [n, height, width, channels]);
      },
    };
  });
  return apply(images) as tf.Tensor4D;
}

function clamp(index: number, size: number): number {
  return index < 0 ? 0 : index >= size ? size - 1 : index;
}

function concatInt32(parts: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
