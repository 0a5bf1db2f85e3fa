import type { ImageShape } from './decode';

/** One sample as a source lists it, before selection (labels in the source's class numbering). */
export interface RawRecord {
  sourceLabel: number;
  /** Absolute image path (ImageFolder and manifests). */
  path?: string;
  /** Record number in the IDX file (0-based). */
  idxRecord?: number;
  /** Manifest attribute columns, as strings. */
  attributes: Readonly<Record<string, string>>;
  /** Manifest `split` column. */
  split?: string;
  /** Where the sample is listed (`line 7`), for messages. */
  listedAt?: string;
}

/** Everything a source knows after reading its index (no image decoded yet). */
export interface SourceListing {
  kind: 'folder' | 'manifest' | 'idx';
  /** The folder or file to name in messages. */
  location: string;
  sourceClassNames: string[];
  records: RawRecord[];
  attributeNames: string[];
  hasSplitColumn: boolean;
  /** ImageFolder only: the folder of each class, to name an empty one. */
  classFolders?: string[];
  /** Decodes one record to float pixels in [0, 255] of the given shape (channels 1 or 3). */
  load(record: RawRecord, shape: ImageShape): Promise<Float32Array>;
  /** Whether `load` of this shape is a cheap copy (so caching it would only waste memory). */
  isCheap(shape: ImageShape): boolean;
  /** The record's own size and channels. */
  probe(record: RawRecord): Promise<ImageShape>;
  /** Called once with the selected records, so a source holding pixels in memory can drop the rest. */
  retain?(selected: readonly RawRecord[]): void;
  /** A JSON value identifying the selected records' content, hashed into the dataset's content hash. */
  contentIdentity(records: readonly RawRecord[]): Promise<unknown>;
}
