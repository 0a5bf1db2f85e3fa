import sharp from 'sharp';
import type { Dataset } from '../../engine/data/dataset';
import type { Trigger } from './trigger';

/**
 * A PNG of one dataset image as the model sees it (resized to `inputShape`) with the trigger applied, for
 * the report and the interventions panel. `scale` enlarges it with nearest-neighbour sampling so that a
 * 28-pixel image stays crisp. The caller writes it (atomically).
 */
export async function triggerExamplePng(
  trigger: Trigger,
  data: Dataset,
  inputShape: readonly [number, number, number],
  sampleIndex: number,
  scale = 1,
): Promise<Buffer> {
  const [height, width, channels] = inputShape;
  const { pixels } = await data.loadImage(sampleIndex, { height, width, channels });
  trigger.apply(pixels, height, width, channels, sampleIndex);
  const bytes = Buffer.from(Uint8Array.from(pixels, (v) => Math.round(v)));
  let image = sharp(bytes, { raw: { width, height, channels: channels as 1 | 3 } });
  if (scale > 1) image = image.resize(width * scale, height * scale, { kernel: 'nearest' });
  return image.png().toBuffer();
}
