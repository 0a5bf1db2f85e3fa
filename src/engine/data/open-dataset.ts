import { AuditError } from '../util/errors';
import { hashJson } from '../util/hash';
import type { Dataset, DecodedImage, SampleRecord } from './dataset';
import type { ImageShape } from './decode';
import { listIdx } from './idx-source';
import { DecodedImageCache } from './image-cache';
import { listImageFolder } from './image-folder';
import type { SourceListing } from './listing';
import { listManifest } from './manifest';
import { applySelection } from './selection';
import { type DataSelection, type DataSpec, formatDataSpec, mergeSelections, parseDataSpec } from './spec';

/** Options of {@link openDataset}: a selection (merged with the SPEC's suffix) and where paths resolve. */
export interface OpenDatasetOptions extends DataSelection {
  /** Folder relative paths in a SPEC string resolve against (default: the working directory). */
  baseDir?: string;
  /**
   * Byte budget of the decoded-image cache (default 64 MiB; 0 disables it). Only images that need real
   * decoding are cached: IDX images at their own size are a cheap copy and never are.
   */
  cacheBytes?: number;
}

const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;
const HASH_FORMAT = 'bias-audit-dataset/1';

/**
 * Opens a dataset: reads its index (folder listing, manifest, IDX headers and bytes), applies the
 * selection, and checks that every listed file exists. Images are decoded later, on demand.
 *
 * @param spec a SPEC string (see `parseDataSpec` in spec.ts for the syntax) or a parsed `DataSpec`.
 * @param options a structured selection (`classes`, `perClass`, `perClassSeed`, `split`) merged with the
 *   SPEC's `?` suffix (the same field in both with different values is an error), `baseDir`, `cacheBytes`.
 * @example
 * const data = await openDataset('idx:samples/fashion-mnist/test-images-idx3-ubyte.gz,samples/fashion-mnist/test-labels-idx1-ubyte.gz', { classes: '0-4', perClass: 50 });
 * const image = await data.loadImage(0, { height: 32, width: 32, channels: 3 }); // pixels in [0, 255]
 * @throws AuditError naming the file and the problem for every kind of bad input (missing path, unknown
 *   SPEC form, corrupt IDX, manifest errors, empty class folder, empty selection).
 */
export async function openDataset(spec: string | DataSpec, options: OpenDatasetOptions = {}): Promise<Dataset> {
  const parsed = typeof spec === 'string' ? parseDataSpec(spec, { baseDir: options.baseDir }) : spec;
  const { baseDir: _baseDir, cacheBytes, ...fromOptions } = options;
  const selection = mergeSelections(parsed.selection, fromOptions, typeof spec === 'string' ? spec : formatDataSpec(parsed));
  const listing = await listSource(parsed);
  const selected = applySelection(listing, selection);
  listing.retain?.(selected.records.map((s) => s.record));

  const samples: SampleRecord[] = selected.records.map(({ record, label }, index) => ({
    index,
    label,
    sourceLabel: record.sourceLabel,
    ...(record.path !== undefined ? { path: record.path } : {}),
    ...(record.idxRecord !== undefined ? { idxRecord: record.idxRecord } : {}),
    attributes: record.attributes,
    ...(record.split !== undefined ? { split: record.split } : {}),
  }));
  const classCounts = selected.classNames.map(() => 0);
  for (const sample of samples) classCounts[sample.label]++;
  const rawRecords = selected.records.map((s) => s.record);
  const cache = new DecodedImageCache(cacheBytes ?? DEFAULT_CACHE_BYTES);
  const specString = formatDataSpec({ source: parsed.source, selection });
  let hash: Promise<string> | undefined;

  const checkIndex = (index: number): void => {
    if (!Number.isInteger(index) || index < 0 || index >= samples.length) {
      throw new RangeError(`sample index ${index} is outside 0..${samples.length - 1} of ${specString}`);
    }
  };

  return {
    source: parsed.source,
    selection,
    specString,
    classNames: selected.classNames,
    sourceClassNames: listing.sourceClassNames,
    samples,
    classCounts,
    attributeNames: listing.attributeNames,
    contentHash() {
      hash ??= listing.contentIdentity(rawRecords).then((content) =>
        hashJson({
          format: HASH_FORMAT,
          kind: listing.kind,
          classNames: selected.classNames,
          sourceClassNames: listing.sourceClassNames,
          labels: samples.map((s) => s.label),
          content,
        }),
      );
      return hash;
    },
    async nativeShape(index = 0) {
      checkIndex(index);
      return listing.probe(rawRecords[index]);
    },
    async loadImage(index: number, shape: ImageShape): Promise<DecodedImage> {
      checkIndex(index);
      checkShape(shape, listing);
      const cacheable = cache.byteBudget > 0 && !listing.isCheap(shape);
      const key = `${index}:${shape.height}x${shape.width}x${shape.channels}`;
      const cached = cacheable ? cache.get(key) : undefined;
      if (cached !== undefined) return { ...shape, pixels: cached };
      const pixels = await listing.load(rawRecords[index], shape);
      if (cacheable) cache.set(key, pixels);
      return { height: shape.height, width: shape.width, channels: shape.channels, pixels };
    },
  };
}

async function listSource(spec: DataSpec): Promise<SourceListing> {
  const source = spec.source;
  switch (source.kind) {
    case 'folder':
      return listImageFolder(source.root);
    case 'manifest':
      return listManifest(source.path, source.format);
    case 'idx':
      return listIdx(source.images, source.labels);
  }
}

function checkShape(shape: ImageShape, listing: SourceListing): void {
  const { height, width, channels } = shape;
  if (!Number.isSafeInteger(height) || !Number.isSafeInteger(width) || height < 1 || width < 1) {
    throw new AuditError(`cannot load images at ${height}x${width}: height and width must be positive integers`, { file: listing.location, code: 'BAD_SHAPE' });
  }
  if (channels !== 1 && channels !== 3) {
    throw new AuditError(`images cannot be converted to ${channels} channels (only 1 = grayscale or 3 = RGB)`, { file: listing.location, code: 'BAD_CHANNELS' });
  }
}
