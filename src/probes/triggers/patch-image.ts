import sharp from 'sharp';
import { readFile } from 'node:fs/promises';
import { AuditError } from '../../engine/util/errors';
import { sha256 } from '../../engine/util/hash';

/**
 * A decoded patch: premultiplied colour and alpha, so that resizing does not bleed the colour of
 * transparent pixels into the visible ones. `rgb` holds R,G,B times alpha (0..255), `alpha` 0..1.
 */
export interface PatchImage {
  width: number;
  height: number;
  /** Interleaved premultiplied RGB, [height * width * 3]. */
  rgb: Float32Array;
  /** [height * width], in [0, 1]. */
  alpha: Float32Array;
  /** sha256 of the file's bytes: part of the trigger's cache key. */
  contentHash: string;
}

/**
 * Reads and decodes a trigger patch (a PNG with alpha; any image libvips reads works, without alpha it is opaque).
 * @throws AuditError naming the file when it is missing (`ENOENT`) or does not decode (`BAD_TRIGGER`).
 */
export async function decodePatchImage(file: string): Promise<PatchImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AuditError(code === 'ENOENT' ? 'trigger patch not found' : `cannot read trigger patch: ${(e as Error).message}`, { file, code: code === 'ENOENT' ? 'ENOENT' : 'BAD_TRIGGER', cause: e });
  }
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    decoded = await sharp(bytes).toColourspace('srgb').ensureAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new AuditError(`trigger patch does not decode as an image: ${(e as Error).message}`, { file, code: 'BAD_TRIGGER', cause: e });
  }
  const { width, height, channels } = decoded.info;
  if (channels !== 4) throw new AuditError(`trigger patch decoded to ${channels} channels, expected RGBA`, { file, code: 'BAD_TRIGGER' });
  const pixels = width * height;
  const rgb = new Float32Array(pixels * 3);
  const alpha = new Float32Array(pixels);
  for (let p = 0; p < pixels; p++) {
    const a = decoded.data[4 * p + 3] / 255;
    alpha[p] = a;
    for (let c = 0; c < 3; c++) rgb[3 * p + c] = decoded.data[4 * p + c] * a;
  }
  return { width, height, rgb, alpha, contentHash: sha256(bytes) };
}
