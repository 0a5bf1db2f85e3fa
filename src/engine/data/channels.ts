/** Channel counts a model input may have: grayscale or RGB. */
export type ModelChannels = 1 | 3;

/** Whether a channel count is one the data code can produce (1 or 3). */
export function isModelChannels(channels: number): channels is ModelChannels {
  return channels === 1 || channels === 3;
}

// ITU-R BT.601 luma, the weights PIL's convert('L') and OpenCV use, so a grayscale model sees what it
// would have seen in a Python pipeline.
const LUMA_R = 0.299;
const LUMA_G = 0.587;
const LUMA_B = 0.114;

/**
 * Converts interleaved pixels between 1 and 3 channels into a new Float32Array (values unchanged in scale).
 * Gray to RGB repeats the value; RGB to gray takes BT.601 luma (exactly the value when R = G = B).
 */
export function convertChannels(src: ArrayLike<number>, pixelCount: number, from: ModelChannels, to: ModelChannels): Float32Array {
  const out = new Float32Array(pixelCount * to);
  if (from === to) {
    for (let i = 0; i < out.length; i++) out[i] = src[i];
  } else if (from === 1) {
    for (let p = 0; p < pixelCount; p++) {
      const v = src[p];
      out[3 * p] = v;
      out[3 * p + 1] = v;
      out[3 * p + 2] = v;
    }
  } else {
    for (let p = 0; p < pixelCount; p++) {
      const r = src[3 * p];
      const g = src[3 * p + 1];
      const b = src[3 * p + 2];
      out[p] = r === g && g === b ? r : LUMA_R * r + LUMA_G * g + LUMA_B * b;
    }
  }
  return out;
}
