import { dirname } from 'node:path';
import { AuditError } from '../util/errors';
import { convertChannels, isModelChannels } from './channels';
import { readClassNames } from './class-names';
import type { ImageShape } from './decode';
import { readIdxFile } from './idx';
import type { RawRecord, SourceListing } from './listing';
import { resizeBilinear } from './resize';

const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Lists an IDX pair: images `[n, h, w]` (grayscale) or `[n, h, w, c]` with c = 1 or 3, and labels `[n]`,
 * each raw or gzipped. Class names come from `classes.txt` beside the images file, else `0`..`max label`.
 * The decompressed images stay in memory as bytes (a quarter of their float size); once a selection is made
 * only the selected images are kept. Images are decoded straight from those bytes; another size is made
 * with `resizeBilinear` (PIL's bilinear), in JS, since sharp's per-call overhead dwarfs a 28x28 image.
 * @throws AuditError naming the file for a missing or corrupt file, a bad magic number, truncated data,
 *   wrong ranks, a count mismatch between the two files, an unconvertible channel count, or a label
 *   outside classes.txt.
 */
export async function listIdx(imagesPath: string, labelsPath: string): Promise<SourceListing> {
  const [images, labels] = await Promise.all([readIdxFile(imagesPath), readIdxFile(labelsPath)]);
  const dims = images.array.dims;
  if (dims.length !== 3 && dims.length !== 4) {
    throw new AuditError(`an IDX images file has 3 dimensions [n, height, width] or 4 [n, height, width, channels]; this one has ${dims.length} (${dims.join('x')})`, {
      file: imagesPath,
      code: 'BAD_IDX',
    });
  }
  const [count, height, width] = dims;
  const channels = dims.length === 4 ? dims[3] : 1;
  if (!isModelChannels(channels)) {
    throw new AuditError(`images have ${channels} channels; only 1 (grayscale) or 3 (RGB) can be converted for a model`, {
      file: imagesPath,
      code: 'BAD_CHANNELS',
    });
  }
  if (labels.array.dims.length !== 1) {
    throw new AuditError(`an IDX labels file has 1 dimension; this one has ${labels.array.dims.length} (${labels.array.dims.join('x')})`, {
      file: labelsPath,
      code: 'BAD_IDX',
    });
  }
  if (labels.array.dims[0] !== count) {
    throw new AuditError(`${labels.array.dims[0]} labels for ${count} images in ${imagesPath}`, { file: labelsPath, code: 'BAD_IDX' });
  }
  const labelBytes = labels.array.data;
  const maxLabel = labelBytes.reduce((a, b) => Math.max(a, b), 0);
  const listed = await readClassNames(dirname(imagesPath));
  if (listed !== undefined && maxLabel >= listed.length) {
    const at = labelBytes.findIndex((l) => l >= listed.length);
    throw new AuditError(`label ${maxLabel} (first at record ${at}) is outside the ${listed.length} classes of classes.txt`, { file: labelsPath, code: 'BAD_IDX' });
  }
  const classNames = listed ?? Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
  const records: RawRecord[] = Array.from(labelBytes, (label, idxRecord) => ({ sourceLabel: label, idxRecord, attributes: NO_ATTRIBUTES }));

  const imageBytes = height * width * channels;
  const native: ImageShape = { height, width, channels };
  // Closures below must not capture `images` or `labels`: that would keep the whole file alive after
  // `retain` compacted it.
  const identity = { images: images.sha256, labels: labels.sha256 };
  let pixels = images.array.data;
  // Where each IDX record's bytes start in `pixels`; identity until a selection compacts the buffer.
  let positionOf = (idxRecord: number): number => idxRecord;

  const load = async (record: RawRecord, shape: ImageShape): Promise<Float32Array> => {
    if (!isModelChannels(shape.channels)) {
      throw new AuditError(`cannot convert IDX images to ${shape.channels} channels (only 1 = grayscale or 3 = RGB)`, { file: imagesPath, code: 'BAD_CHANNELS' });
    }
    const start = positionOf(record.idxRecord as number) * imageBytes;
    const raw = pixels.subarray(start, start + imageBytes);
    if (shape.height === height && shape.width === width) return convertChannels(raw, height * width, channels, shape.channels);
    // Resize with fewer channels: gray -> RGB after resizing, RGB -> gray before (luma is linear, so the
    // order does not change the result, only the cost).
    if (shape.channels >= channels) {
      const resized = resizeBilinear(raw, height, width, channels, shape.height, shape.width);
      return convertChannels(resized, shape.height * shape.width, channels, shape.channels);
    }
    const converted = convertChannels(raw, height * width, channels, shape.channels);
    return resizeBilinear(converted, height, width, shape.channels, shape.height, shape.width);
  };

  return {
    kind: 'idx',
    location: imagesPath,
    sourceClassNames: classNames,
    records,
    attributeNames: [],
    hasSplitColumn: false,
    load,
    isCheap: (shape) => shape.height === height && shape.width === width,
    probe: () => Promise.resolve({ ...native }),
    retain(selected) {
      if (selected.length === count) return;
      const compact = new Uint8Array(selected.length * imageBytes);
      const positions = new Map<number, number>();
      selected.forEach((record, position) => {
        const start = positionOf(record.idxRecord as number) * imageBytes;
        compact.set(pixels.subarray(start, start + imageBytes), position * imageBytes);
        positions.set(record.idxRecord as number, position);
      });
      pixels = compact;
      positionOf = (idxRecord) => {
        const position = positions.get(idxRecord);
        if (position === undefined) throw new Error(`IDX record ${idxRecord} was not selected`);
        return position;
      };
    },
    contentIdentity: (selected) =>
      Promise.resolve({ ...identity, records: selected.map((record) => record.idxRecord) }),
  };
}
