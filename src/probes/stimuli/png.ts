import sharp from 'sharp';
import { convertChannels } from '../../engine/data/channels';
import { decodeImageFileRgb } from '../../engine/data/decode';

/** 8-bit interleaved pixels (1 = grayscale or 3 = RGB channels) to a PNG file's bytes. Lossless. */
export async function encodePng(pixels: Uint8Array, height: number, width: number, channels: 1 | 3): Promise<Buffer> {
  if (pixels.length !== height * width * channels) throw new Error(`encodePng: ${pixels.length} values for ${height}x${width}x${channels}`);
  return sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width, height, channels } })
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/**
 * A saved stimulus as a model with input [height, width, channels] sees it: float pixels in [0, 255],
 * resized when the model's size differs from the stimulus's, grayscale<->RGB converted.
 * @throws AuditError naming the file when it is missing or does not decode.
 */
export async function loadStimulusPixels(file: string, height: number, width: number, channels: 1 | 3): Promise<Float32Array> {
  const rgb = await decodeImageFileRgb(file, height, width);
  return convertChannels(rgb, height * width, 3, channels);
}
