import type { Random } from '../util/random';

/** Training-time augmentation, applied to pixels in [0, 255] before normalisation. */
export interface AugmentOptions {
  /** Pad each side with `padding` black pixels, then crop back to the original size at a random offset. */
  randomCrop?: { padding: number };
  /** Mirror left-right with probability 1/2. */
  horizontalFlip?: boolean;
}

/** Whether the options change anything (so a frozen-prefix cache stays valid when they do not). */
export function augmentsAnything(options: AugmentOptions | undefined): boolean {
  return options !== undefined && ((options.randomCrop !== undefined && options.randomCrop.padding > 0) || options.horizontalFlip === true);
}

/**
 * Applies random crop and flip to one interleaved HWC image, drawing from `random` in a fixed order (crop
 * offsets, then the flip), and returns the result (a new array when anything changed).
 */
export function augmentPixels(pixels: Float32Array, height: number, width: number, channels: number, options: AugmentOptions, random: Random): Float32Array {
  let current = pixels;
  const padding = options.randomCrop?.padding ?? 0;
  if (!(Number.isSafeInteger(padding) && padding >= 0)) throw new RangeError(`randomCrop.padding must be a non-negative integer, got ${padding}`);
  if (padding > 0) {
    // Offsets in the padded image, 0..2*padding; shift = offset - padding.
    const shiftY = random.int(2 * padding + 1) - padding;
    const shiftX = random.int(2 * padding + 1) - padding;
    current = shiftImage(current, height, width, channels, shiftY, shiftX);
  }
  if (options.horizontalFlip === true && random.next() < 0.5) current = flipHorizontally(current, height, width, channels);
  return current;
}

/** out(y, x) = in(y + shiftY, x + shiftX), black outside: a crop of the zero-padded image. */
function shiftImage(pixels: Float32Array, height: number, width: number, channels: number, shiftY: number, shiftX: number): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let y = 0; y < height; y++) {
    const sourceY = y + shiftY;
    if (sourceY < 0 || sourceY >= height) continue;
    const x0 = Math.max(0, -shiftX);
    const x1 = Math.min(width, width - shiftX);
    if (x1 <= x0) continue;
    const rowOut = y * width * channels;
    const rowIn = sourceY * width * channels;
    out.set(pixels.subarray(rowIn + (x0 + shiftX) * channels, rowIn + (x1 + shiftX) * channels), rowOut + x0 * channels);
  }
  return out;
}

function flipHorizontally(pixels: Float32Array, height: number, width: number, channels: number): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (y * width + x) * channels;
      const to = (y * width + (width - 1 - x)) * channels;
      for (let c = 0; c < channels; c++) out[to + c] = pixels[from + c];
    }
  }
  return out;
}
