import { Random, deriveSeed } from '../../engine/util/random';
import type { TriggerPosition } from './trigger-spec';

/** The pixel rectangle a trigger occupies: top-left corner and size, inside the image. */
export interface TriggerBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The trigger's side in pixels: `size` times the shorter image side, rounded, at least 1 pixel.
 * @example triggerSide(0.25, 28, 28) // 7: 49 of 784 pixels, 6.25% of the area
 */
export function triggerSide(size: number, imageHeight: number, imageWidth: number): number {
  const shorter = Math.min(imageHeight, imageWidth);
  return Math.min(shorter, Math.max(1, Math.round(size * shorter)));
}

/**
 * Places a `boxWidth` x `boxHeight` box in the image. `random` draws the corner uniformly from every
 * position that keeps the box inside, seeded by `deriveSeed(seed, 'trigger-position', sampleIndex)`:
 * the same image gets the same place for the same seed, in any batch order.
 */
export function placeBox(
  position: TriggerPosition,
  boxWidth: number,
  boxHeight: number,
  imageHeight: number,
  imageWidth: number,
  seed: number,
  sampleIndex: number,
): TriggerBox {
  const maxX = imageWidth - boxWidth;
  const maxY = imageHeight - boxHeight;
  const at = (x: number, y: number): TriggerBox => ({ x, y, width: boxWidth, height: boxHeight });
  switch (position) {
    case 'top-left':
      return at(0, 0);
    case 'top-right':
      return at(maxX, 0);
    case 'bottom-left':
      return at(0, maxY);
    case 'bottom-right':
      return at(maxX, maxY);
    case 'center':
      return at(Math.floor(maxX / 2), Math.floor(maxY / 2));
    case 'random': {
      const random = new Random(deriveSeed(seed, 'trigger-position', sampleIndex));
      return at(random.int(maxX + 1), random.int(maxY + 1));
    }
  }
}
