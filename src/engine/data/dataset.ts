import type { ImageShape } from './decode';
import type { DataSelection, DataSource } from './spec';

/** A decoded image: interleaved (HWC) float pixels in [0, 255]. */
export interface DecodedImage extends ImageShape {
  pixels: Float32Array;
}

/** One selected sample. Light: no pixels, just where to find them. */
export interface SampleRecord {
  /** Position in `Dataset.samples`. */
  index: number;
  /** Class index into `Dataset.classNames` (renumbered 0..K-1 when a class filter is applied). */
  label: number;
  /** Class index into `Dataset.sourceClassNames`, the source's own numbering. */
  sourceLabel: number;
  /** Absolute image path (ImageFolder and manifests). */
  path?: string;
  /** Record number in the IDX file (0-based; its bytes start at header + idxRecord * height * width * channels). */
  idxRecord?: number;
  /** Manifest attribute columns (everything but path, label and split), as strings; empty otherwise. */
  attributes: Readonly<Record<string, string>>;
  /** Manifest `split` column, when there is one. */
  split?: string;
}

/**
 * An opened dataset: the selected samples with labels and attributes, decoded lazily one image at a time.
 * Memory holds the records, not the pixels (IDX sources keep the selected images as bytes).
 */
export interface Dataset {
  /** The source (absolute paths) and the selection applied to it. */
  readonly source: DataSource;
  readonly selection: DataSelection;
  /** The SPEC as a string (absolute paths), for logs and provenance. */
  readonly specString: string;
  /** Names of the classes the labels index, after class filtering. */
  readonly classNames: readonly string[];
  /** The source's full class list, which `SampleRecord.sourceLabel` indexes. */
  readonly sourceClassNames: readonly string[];
  readonly samples: readonly SampleRecord[];
  /** Samples per class, indexed like `classNames`. */
  readonly classCounts: readonly number[];
  /** Names of the manifest attribute columns (empty for folders and IDX). */
  readonly attributeNames: readonly string[];
  /**
   * SHA-256 identifying the selected content: every selected file's bytes (or the IDX files' decompressed
   * bytes and the selected records), labels, class names and attributes. Equal for a moved copy of the data.
   * Reads every selected file the first time; memoised.
   */
  contentHash(): Promise<string>;
  /** The size and channel count of sample `index` as stored (IDX: the file's; files: from the header). */
  nativeShape(index?: number): Promise<ImageShape>;
  /**
   * Decodes sample `index` to `shape` (resized; grayscale<->RGB converted; channels 1 or 3) as float pixels
   * in [0, 255]. The returned array is the caller's to modify.
   * @throws AuditError naming the file when the image does not decode or cannot have `shape.channels`.
   */
  loadImage(index: number, shape: ImageShape): Promise<DecodedImage>;
}
