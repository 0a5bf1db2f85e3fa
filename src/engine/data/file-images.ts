import { relative, sep } from 'node:path';
import { AuditError } from '../util/errors';
import { sha256File } from '../util/hash';
import { convertChannels, isModelChannels } from './channels';
import { decodeImageFileRgb, type ImageShape, probeImageFile } from './decode';
import type { RawRecord } from './listing';
import { mapLimit } from './map-limit';

/** Decodes the image file of a record to float pixels in [0, 255] of `shape`. */
export async function loadFileRecord(record: RawRecord, shape: ImageShape): Promise<Float32Array> {
  const file = requirePath(record);
  if (!isModelChannels(shape.channels)) {
    throw new AuditError(`cannot convert this image to ${shape.channels} channels (only 1 = grayscale or 3 = RGB)`, { file, code: 'BAD_CHANNELS' });
  }
  const rgb = await decodeImageFileRgb(file, shape.height, shape.width);
  return convertChannels(rgb, shape.height * shape.width, 3, shape.channels);
}

/** The record's image size and channel count from its header. */
export async function probeFileRecord(record: RawRecord): Promise<ImageShape> {
  return probeImageFile(requirePath(record));
}

/**
 * Content identity of file-backed records: each file's SHA-256 with its path relative to `root` (so a
 * moved copy of the dataset hashes the same), its source label, attributes and split.
 */
export async function fileContentIdentity(records: readonly RawRecord[], root: string): Promise<unknown> {
  return mapLimit(records, 8, async (record) => {
    const file = requirePath(record);
    let hash: string;
    try {
      hash = await sha256File(file);
    } catch (e) {
      throw new AuditError(`cannot read image: ${(e as Error).message}`, { file, code: 'BAD_IMAGE', cause: e });
    }
    return [relative(root, file).split(sep).join('/'), record.sourceLabel, record.attributes, record.split ?? null, hash];
  });
}

function requirePath(record: RawRecord): string {
  if (record.path === undefined) throw new Error('file-backed record without a path');
  return record.path;
}
