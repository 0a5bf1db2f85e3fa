import type * as tfl from '@tensorflow/tfjs-layers';
import type { Normalization } from '../data/normalization';

/** What happens to BatchNorm layers inside frozen blocks while the rest of the model trains. */
export type BatchNormPolicy =
  /** Moving statistics stay fixed and the layer normalises with them (inference mode) even in training. */
  | 'frozen'
  /** The layer normalises with batch statistics in training and its moving statistics drift (gamma/beta stay). */
  | 'train';

/** How many blocks to freeze: a count from the input side, `'full'` (none: full-network transfer), `'fixed'` (all). */
export type FreezeSpec = number | 'fixed' | 'full';

/** A block given explicitly: every layer whose name starts with one of `prefixes` belongs to it. */
export interface BlockPrefixSpec {
  name: string;
  prefixes: string[];
}

/** Where a model came from, recorded so that a child proves its parent and recipe. */
export interface Lineage {
  role: 'foundation' | 'child' | 'scratch';
  /** Content hash (`modelHash`) of the parent the weights were copied from; absent for foundation and scratch. */
  parentHash?: string;
  /** The freeze request as given. */
  freezeSpec?: FreezeSpec;
  /** Number of frozen blocks, counted from the input. */
  freezeDepth: number;
  /** Names of the frozen blocks. */
  frozenBlocks: string[];
  /** Every layer that is not trainable, re-applied on load. */
  frozenLayers: string[];
  bnPolicy: BatchNormPolicy;
  /** Whether the classifier layer was re-initialised for the target classes. */
  headReplaced: boolean;
  seed: number;
  /** The training recipe, filled in by whoever trains the model. */
  recipe?: Record<string, unknown>;
}

/**
 * Everything the auditor needs to know about a checkpoint besides its layers and weights. Stored in
 * model.json as `userDefinedMetadata.biasAudit` (tfjs round-trips that field).
 */
export interface ModelMeta {
  formatVersion: 1;
  classNames: string[];
  /** [height, width, channels] of one input image. */
  inputShape: [number, number, number];
  normalization: Normalization;
  /** e.g. `small_resnet`, `resnet18`, `resnet50`, or the checkpoint's model name. */
  architecture: string;
  /** Explicit block map; when absent the block map is derived from layer names or downsampling points. */
  blockPrefixes?: BlockPrefixSpec[];
  lineage?: Lineage;
  /** Block name -> hash of every weight and BatchNorm statistic in that block, taken when it was frozen. */
  frozenWeightHashes?: Record<string, string>;
}

/** Where `loadModel` found each part of the meta, so reports can say when something was a default. */
export interface MetaSources {
  /** `model.json` (the meta), the sidecar file's path, or `indices` (no names anywhere). */
  classNames: string;
  /** `model.json`, a sidecar path, or `default` (pixels scaled to [0, 1], data's `UNIT_RANGE`). */
  normalization: string;
}

/** A model with its meta: what every engine function takes and returns. */
export interface LoadedModel {
  model: tfl.LayersModel;
  meta: ModelMeta;
  /** The directory or model.json it was loaded from; empty for a model built in memory. */
  path: string;
  metaSources?: MetaSources;
}

/** The key under model.json's `userDefinedMetadata` that holds `ModelMeta`. */
export const META_KEY = 'biasAudit';
