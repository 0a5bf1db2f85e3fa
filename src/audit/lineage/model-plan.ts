import type { PixelTransform } from '../../engine/data/batches';
import type { BatchNormPolicy, FreezeSpec, LoadedModel } from '../../engine/model/meta';
import type { Recipe } from '../../engine/train/recipe';
import type { ModelRole, TransferKind } from '../../protocol/results';

/** A model the run starts from: the foundation, or a planted-bias source. */
export interface SourceModel {
  /** `foundation`, or the source id of a planted-bias source (`planted`, `clean`). */
  id: string;
  loaded: LoadedModel;
  /** Content hash (`modelHash`). */
  hash: string;
  /** model.json, absolute, or the run-folder checkpoint when the run trained it. */
  checkpoint: string;
}

/**
 * A change to the target training data a model is finetuned on: a de-biased target set (a trigger on some images),
 * reweighted or resampled data (group-disparity interventions). `digest` is hashed into the training step's key.
 */
export interface TrainingVariant {
  /** `debiased`, `reweight`, `resample-0.5`, ...: part of the model id. */
  id: string;
  label: string;
  digest: unknown;
  transform?: PixelTransform;
  /** Loss weight per training sample index. */
  sampleWeights?: Float32Array;
  /** Training sample indices to use (default all). */
  trainIndices?: readonly number[];
}

/** One model of the lineage triad the run trains, or audits as it is. */
export interface PlannedModel {
  id: string;
  role: ModelRole;
  label: string;
  /** Id of the source a child derives from (`foundation`, `planted`, `clean`); null for scratch and existing models. */
  parentId: string | null;
  /** As configured (`fixed`, `full`, K); null for scratch. */
  freezeSpec: FreezeSpec | null;
  /** Resolved block count; null for scratch. */
  freezeDepth: number | null;
  seed: number | null;
  /** Planted-bias source id the child derives from; null otherwise. */
  sourceId: string | null;
  /** Variant of the target training data; null for the data as configured. */
  variant: TrainingVariant | null;
  recipe: Recipe | null;
  bnPolicy: BatchNormPolicy | null;
  keepHead: boolean;
  cachePrefix: boolean;
  /** A checkpoint audited as it is (no training); null for models the run trains. */
  existingCheckpoint: string | null;
  /** Filled by the planner: the content-hash key of its training step, or the content hash of an existing model. */
  identity: string;
}

/** fixed-feature when every block is frozen, full-network when none is. */
export function transferKindOf(freezeDepth: number | null, blockCount: number): TransferKind | null {
  if (freezeDepth === null) return null;
  if (freezeDepth === 0) return 'full-network';
  if (freezeDepth >= blockCount) return 'fixed-feature';
  return 'partial';
}

/** `child-k2-s1`, `child-planted-k5-s0-debiased`, `scratch-s1-reweight`. */
export function plannedModelId(role: 'child' | 'scratch', options: { freezeDepth: number | null; seed: number; sourceId: string | null; variantId: string | null }): string {
  const parts: string[] = [role];
  if (options.sourceId !== null) parts.push(options.sourceId);
  if (role === 'child') parts.push(`k${options.freezeDepth}`);
  parts.push(`s${options.seed}`);
  if (options.variantId !== null) parts.push(options.variantId);
  return parts.join('-');
}

/** `child K=2 seed 1`, `child of planted K=5 seed 0 (debiased)`, `scratch seed 1 (reweight)`. */
export function plannedModelLabel(role: 'child' | 'scratch', options: { freezeDepth: number | null; seed: number; sourceId: string | null; variantLabel: string | null }): string {
  const of = options.sourceId !== null ? ` of ${options.sourceId}` : '';
  const core = role === 'child' ? `child${of} K=${options.freezeDepth} seed ${options.seed}` : `scratch seed ${options.seed}`;
  return options.variantLabel !== null ? `${core} (${options.variantLabel})` : core;
}
