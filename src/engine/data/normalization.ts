/**
 * How pixels become model inputs, recorded with the model (ModelMeta) so every consumer feeds it the same
 * way: `value = (pixel * scale - mean[c]) / std[c]` for a pixel in [0, 255] of channel c. `mean` and `std`
 * hold one entry per channel, or a single entry for all channels.
 *
 * @example
 * const unit: Normalization = { scale: 1 / 255, mean: [0], std: [1] };           // pixels to [0, 1]
 * const imagenet: Normalization = { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
 */
export interface Normalization {
  scale: number;
  mean: readonly number[];
  std: readonly number[];
}

/** Pixels to [0, 1], no centring. */
export const UNIT_RANGE: Normalization = Object.freeze({ scale: 1 / 255, mean: Object.freeze([0]), std: Object.freeze([1]) });

/**
 * Checks a normalisation against a channel count; returns a problem description, or undefined when valid.
 * (The caller wraps it in an AuditError naming the model or config that holds it.)
 */
export function normalizationProblem(normalization: Normalization, channels: number): string | undefined {
  const { scale, mean, std } = normalization;
  if (!(Number.isFinite(scale) && scale > 0)) return `scale must be a positive number, got ${scale}`;
  for (const [name, values] of [['mean', mean], ['std', std]] as const) {
    if (!Array.isArray(values) || (values.length !== 1 && values.length !== channels)) {
      return `${name} must have 1 or ${channels} entries, got ${JSON.stringify(values)}`;
    }
    if (!values.every((v) => Number.isFinite(v))) return `${name} must hold finite numbers, got ${JSON.stringify(values)}`;
  }
  if (!std.every((v) => v > 0)) return `std must be positive, got ${JSON.stringify(std)}`;
  return undefined;
}

/** Throws a RangeError when `normalization` does not fit `channels` (a programming error at that point). */
export function assertNormalization(normalization: Normalization, channels: number): void {
  const problem = normalizationProblem(normalization, channels);
  if (problem !== undefined) throw new RangeError(`invalid normalization: ${problem}`);
}

/**
 * Writes normalised interleaved pixels into `out` starting at `outOffset` (pixels in [0, 255], HWC).
 * Precomputes per-channel multiply-add so the loop is one FMA per value.
 */
export function normalizeInto(pixels: Float32Array, channels: number, normalization: Normalization, out: Float32Array, outOffset = 0): void {
  const { multiply, add } = affine(normalization, channels);
  for (let i = 0; i < pixels.length; i++) {
    const c = i % channels;
    out[outOffset + i] = pixels[i] * multiply[c] + add[c];
  }
}

/** Inverse of {@link normalizeInto}: model-space values back to pixels in [0, 255] (not clipped). */
export function denormalize(values: Float32Array, channels: number, normalization: Normalization): Float32Array {
  const { multiply, add } = affine(normalization, channels);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const c = i % channels;
    out[i] = (values[i] - add[c]) / multiply[c];
  }
  return out;
}

function affine(normalization: Normalization, channels: number): { multiply: Float64Array; add: Float64Array } {
  assertNormalization(normalization, channels);
  const multiply = new Float64Array(channels);
  const add = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const mean = normalization.mean.length === 1 ? normalization.mean[0] : normalization.mean[c];
    const std = normalization.std.length === 1 ? normalization.std[0] : normalization.std[c];
    multiply[c] = normalization.scale / std;
    add[c] = -mean / std;
  }
  return { multiply, add };
}
