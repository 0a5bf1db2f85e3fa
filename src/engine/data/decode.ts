import sharp from 'sharp';
import { AuditError } from '../util/errors';
import type { ModelChannels } from './channels';

/** Size of an image as a model consumes it (NHWC without the N). */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/**
 * Decodes an image file (PNG, JPEG, WebP, or anything libvips reads), applies its EXIF orientation,
 * flattens transparency onto black, resizes to exactly `height` x `width` (stretching, like
 * torchvision's `Resize((h, w))`, with libvips' linear kernel, antialiased when shrinking, close to PIL's
 * bilinear that IDX resizing uses; no resampling when the size already matches) and returns interleaved 8-bit RGB. Grayscale sources come back with R = G = B.
 * @throws AuditError (code `BAD_IMAGE`) naming the file when it is missing or does not decode.
 */
export async function decodeImageFileRgb(file: string, height: number, width: number): Promise<Uint8Array> {
  let result: { data: Buffer; info: sharp.OutputInfo };
  try {
    result = await sharp(file)
      .autoOrient()
      .flatten({ background: { r: 0, g: 0, b: 0 } })
      .resize(width, height, { fit: 'fill', kernel: 'linear' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new AuditError(`image does not decode: ${(e as Error).message}`, { file, code: 'BAD_IMAGE', cause: e });
  }
  return expectRgb(result, height, width, file);
}

/**
 * Reads an image file's header: its displayed size (after EXIF orientation) and whether it is grayscale
 * (1) or colour (3), ignoring alpha.
 * @throws AuditError (code `BAD_IMAGE`) naming the file when it cannot be read.
 */
export async function probeImageFile(file: string): Promise<{ height: number; width: number; channels: ModelChannels }> {
  try {
    const meta = await sharp(file).metadata();
    const colourChannels = (meta.channels ?? 3) - (meta.hasAlpha ? 1 : 0);
    return { height: meta.autoOrient.height, width: meta.autoOrient.width, channels: colourChannels === 1 ? 1 : 3 };
  } catch (e) {
    throw new AuditError(`image does not decode: ${(e as Error).message}`, { file, code: 'BAD_IMAGE', cause: e });
  }
}

function expectRgb(result: { data: Buffer; info: sharp.OutputInfo }, height: number, width: number, where: string): Uint8Array {
  const { info, data } = result;
  if (info.channels !== 3 || info.width !== width || info.height !== height || data.length !== height * width * 3) {
    throw new AuditError(`image converts to ${info.width}x${info.height} with ${info.channels} channels, not ${width}x${height} RGB`, {
      file: where,
      code: 'BAD_CHANNELS',
    });
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}
