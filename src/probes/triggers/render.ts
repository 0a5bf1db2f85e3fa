import { resizeBilinear } from '../../engine/data/resize';
import { Random, deriveSeed } from '../../engine/util/random';
import { colorForChannels } from './color';
import type { PatchImage } from './patch-image';
import { placeBox, triggerSide, type TriggerBox } from './placement';
import type { TriggerSpec } from './trigger-spec';

/**
 * Draws triggers on decoded images (interleaved HWC float pixels in [0, 255], 1 or 3 channels), in place.
 * Every kind is a per-pixel blend inside the trigger's box, clamped to [0, 255]:
 *   square, circle, chain-link: out = (1 - opacity) * pixel + opacity * colour on covered pixels
 *     (a pixel is covered when its centre is inside the shape);
 *   patch: out = (1 - opacity * alpha) * pixel + opacity * alpha * patchColour (the PNG resized, premultiplied);
 *   gaussian: out = pixel + opacity * sigma * 255 * n, n a fixed standard-normal pattern from `seed`.
 */
export class TriggerRenderer {
  /** Resized patches and noise patterns per box size: rendering a batch must not redo them per image. */
  private readonly cache = new Map<string, { rgb: Float32Array; alpha: Float32Array } | Float32Array>();

  constructor(
    readonly spec: TriggerSpec,
    private readonly patch: PatchImage | null,
  ) {
    if (spec.kind === 'patch' && patch === null) throw new Error('a patch trigger needs its decoded image');
  }

  /** The box the trigger occupies on sample `sampleIndex` of an image of this size. */
  box(height: number, width: number, sampleIndex: number): TriggerBox {
    const side = triggerSide(this.spec.size, height, width);
    let boxWidth = side;
    let boxHeight = side;
    if (this.patch !== null) {
      // Keep the patch's aspect ratio: its longer side spans `side` pixels.
      const scale = side / Math.max(this.patch.width, this.patch.height);
      boxWidth = Math.max(1, Math.round(this.patch.width * scale));
      boxHeight = Math.max(1, Math.round(this.patch.height * scale));
    }
    return placeBox(this.spec.position, boxWidth, boxHeight, height, width, this.spec.seed, sampleIndex);
  }

  /** Overlays the trigger on one image in place (a `PixelTransform`). */
  apply(pixels: Float32Array, height: number, width: number, channels: number, sampleIndex: number): void {
    if (pixels.length !== height * width * channels) throw new RangeError(`image buffer has ${pixels.length} values, expected ${height}x${width}x${channels}`);
    const box = this.box(height, width, sampleIndex);
    switch (this.spec.kind) {
      case 'square':
        this.fill(pixels, width, channels, box, () => true);
        return;
      case 'circle': {
        const cx = box.width / 2;
        const cy = box.height / 2;
        const r2 = (Math.min(box.width, box.height) / 2) ** 2;
        this.fill(pixels, width, channels, box, (u, v) => (u + 0.5 - cx) ** 2 + (v + 0.5 - cy) ** 2 <= r2);
        return;
      }
      case 'chain-link': {
        const period = box.width / this.spec.cells;
        const wire = Math.max(1, this.spec.thickness * period);
        // Two families of diagonal wires: the diamond mesh of a chain-link fence.
        const mod = (a: number): number => ((a % period) + period) % period;
        this.fill(pixels, width, channels, box, (u, v) => mod(u + v) < wire || mod(u - v) < wire);
        return;
      }
      case 'gaussian':
        this.addNoise(pixels, width, channels, box);
        return;
      case 'patch':
        this.blendPatch(pixels, width, channels, box);
        return;
    }
  }

  private fill(pixels: Float32Array, width: number, channels: number, box: TriggerBox, covers: (u: number, v: number) => boolean): void {
    const color = colorForChannels(this.spec.color, channels);
    const a = this.spec.opacity;
    for (let v = 0; v < box.height; v++) {
      for (let u = 0; u < box.width; u++) {
        if (!covers(u, v)) continue;
        const at = ((box.y + v) * width + box.x + u) * channels;
        for (let c = 0; c < channels; c++) pixels[at + c] = clamp((1 - a) * pixels[at + c] + a * color[c]);
      }
    }
  }

  private addNoise(pixels: Float32Array, width: number, channels: number, box: TriggerBox): void {
    const key = `noise:${box.width}x${box.height}x${channels}`;
    let pattern = this.cache.get(key) as Float32Array | undefined;
    if (pattern === undefined) {
      const random = new Random(deriveSeed(this.spec.seed, 'gaussian-trigger', box.width, box.height, channels));
      pattern = Float32Array.from({ length: box.width * box.height * channels }, () => random.normal());
      this.cache.set(key, pattern);
    }
    const scale = this.spec.opacity * this.spec.sigma * 255;
    for (let v = 0; v < box.height; v++) {
      for (let u = 0; u < box.width; u++) {
        const at = ((box.y + v) * width + box.x + u) * channels;
        const from = (v * box.width + u) * channels;
        for (let c = 0; c < channels; c++) pixels[at + c] = clamp(pixels[at + c] + scale * pattern[from + c]);
      }
    }
  }

  private blendPatch(pixels: Float32Array, width: number, channels: number, box: TriggerBox): void {
    const patch = this.patch as PatchImage;
    const key = `patch:${box.width}x${box.height}`;
    let resized = this.cache.get(key) as { rgb: Float32Array; alpha: Float32Array } | undefined;
    if (resized === undefined) {
      resized = {
        rgb: resizeBilinear(patch.rgb, patch.height, patch.width, 3, box.height, box.width),
        alpha: resizeBilinear(patch.alpha, patch.height, patch.width, 1, box.height, box.width),
      };
      this.cache.set(key, resized);
    }
    if (channels !== 1 && channels !== 3) throw new RangeError(`trigger rendering supports 1 or 3 channels, got ${channels}`);
    const o = this.spec.opacity;
    for (let v = 0; v < box.height; v++) {
      for (let u = 0; u < box.width; u++) {
        const p = v * box.width + u;
        const a = o * resized.alpha[p];
        if (a === 0) continue;
        const at = ((box.y + v) * width + box.x + u) * channels;
        const r = resized.rgb[3 * p];
        const g = resized.rgb[3 * p + 1];
        const b = resized.rgb[3 * p + 2];
        if (channels === 3) {
          pixels[at] = clamp((1 - a) * pixels[at] + o * r);
          pixels[at + 1] = clamp((1 - a) * pixels[at + 1] + o * g);
          pixels[at + 2] = clamp((1 - a) * pixels[at + 2] + o * b);
        } else {
          pixels[at] = clamp((1 - a) * pixels[at] + o * (0.299 * r + 0.587 * g + 0.114 * b));
        }
      }
    }
  }
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
