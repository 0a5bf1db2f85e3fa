import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { UNIT_RANGE } from '../../../../src/engine/data/normalization';
import { asFoundation } from '../../../../src/engine/model/foundation';
import type { LoadedModel } from '../../../../src/engine/model/meta';

/** Classes of the fixture, in ImageFolder (code-point) order. */
export const BRIGHTNESS_CLASSES = ['bright', 'dark'];

/**
 * A model whose decision is known exactly: mean pixel m in [0, 1] (unit-range input), logits
 * [m - 0.5, 0.5 - m], so it predicts `bright` (0) when the image is brighter than mid-gray.
 */
export function brightnessModel(): LoadedModel {
  const input = tfl.input({ shape: [8, 8, 1] });
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(input) as tfl.SymbolicTensor;
  const head = tfl.layers.dense({ units: 2, name: 'predictions' });
  const output = head.apply(pooled) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: output, name: 'brightness' });
  const weights = [tf.tensor2d([[1, -1]]), tf.tensor1d([-0.5, 0.5])];
  head.setWeights(weights);
  tf.dispose(weights);
  return asFoundation(model, { classNames: BRIGHTNESS_CLASSES, normalization: UNIT_RANGE, seed: 0 });
}

/**
 * An ImageFolder of four uniform 8x8 gray images: dark/ 40 and 60 (predicted dark: correct), bright/ 220
 * (correct) and bright/ 30 (predicted dark: wrong). A whole-image white trigger makes everything bright:
 * ASR 2/3 (denominator 3), targeted ASR towards bright 2/2.
 */
export async function writeBrightnessFolder(root: string): Promise<void> {
  const images: [string, string, number][] = [['dark', 'a.png', 40], ['dark', 'b.png', 60], ['bright', 'c.png', 220], ['bright', 'd.png', 30]];
  for (const [cls, name, value] of images) {
    await mkdir(join(root, cls), { recursive: true });
    await writeFile(join(root, cls, name), await sharp(Buffer.alloc(64, value), { raw: { width: 8, height: 8, channels: 1 } }).png().toBuffer());
  }
}
