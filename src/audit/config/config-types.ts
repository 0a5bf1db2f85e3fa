/**
 * The audit config (`*.biasaudit.json`) as written by the user. Mirrors `schemas/biasaudit.schema.json`, which
 * validates it (and gives editors completion); `test/unit/audit/config-schema.test.ts` keeps the two in sync.
 * Paths are relative to the config file. `resolveAuditConfig` (resolve-config.ts) turns this into a
 * `ResolvedAuditConfig` with defaults applied and absolute paths.
 */

/** A data SPEC string (`idx:IMAGES,LABELS?classes=0-4`, a folder, a manifest) or the structured form. */
export type DataRefConfig = string | StructuredDataRef;

export interface StructuredDataRef {
  spec: string;
  /** Classes to keep, in the source's numbering: `"0-4"`, `"Coat,Shirt"` or a list of indices and names. */
  classes?: string | (string | number)[];
  perClass?: number;
  perClassSeed?: number;
  /** Manifests: rows whose `split` column equals this. */
  split?: string;
}

export interface TargetConfig {
  train: DataRefConfig;
  /** When absent, a stratified `testFraction` of `train` is held out as the test set. */
  test?: DataRefConfig;
  /** A separate validation set for training; when absent the recipe's `validationFraction` of train is held out. */
  validation?: DataRefConfig;
  /** Fraction of `train` held out as the test set when `test` is absent (default 0.2). */
  testFraction?: number;
}

/** A freeze depth: a block count from the input, `full` (none frozen) or `fixed` (every block frozen). */
export type FreezeDepthConfig = number | 'fixed' | 'full';

/** Overrides of the training recipe (engine/train/recipe.ts `Recipe`); every field optional. */
export interface RecipeConfig {
  epochs?: number;
  batchSize?: number;
  optimizer?: 'sgd' | 'adam';
  learningRate?: number;
  momentum?: number;
  weightDecay?: number;
  schedule?: 'constant' | 'cyclic' | 'step';
  peakEpoch?: number;
  stepFactor?: number;
  augment?: { randomCropPadding?: number; horizontalFlip?: boolean } | null;
  validationFraction?: number;
  keepBest?: boolean;
}

export interface ChildrenConfig {
  freezeDepths: FreezeDepthConfig[];
  /** Every child and the scratch baseline train once per seed (default [0]). */
  seeds?: number[];
  /** Train the scratch baseline (default true). */
  scratch?: boolean;
  /** BatchNorm statistics in frozen blocks (default `frozen`). */
  bnPolicy?: 'frozen' | 'train';
  /** Keep the foundation's classifier (needs the same class count; default false). */
  keepHead?: boolean;
  recipe?: RecipeConfig;
  /** Recipe of the scratch baseline (default: `recipe`). */
  scratchRecipe?: RecipeConfig;
  /** Cache the frozen blocks' activations while training (exact; default true). */
  cachePrefix?: boolean;
}

/** A checkpoint audited as it is (no training). */
export interface ExistingModelConfig {
  /** Unique id in the run (default: derived from role, freeze depth and seed, or the folder name). */
  id?: string;
  checkpoint: string;
  /** `child` (default) or `scratch`. */
  role?: 'child' | 'scratch';
  /** Frozen blocks; default: read from the checkpoint's lineage. */
  freezeDepth?: number;
  seed?: number;
  label?: string;
}

/** Each probe's parameters; a probe is run when its key is present. */
export interface ProbesConfig {
  strongStimuli?: Record<string, unknown>;
  interventions?: Record<string, unknown>;
  plantedBias?: Record<string, unknown>;
  groupDisparity?: Record<string, unknown>;
  associations?: Record<string, unknown>;
}

export type ComputeBackendConfig = 'auto' | 'wasm' | 'tensorflow' | 'cpu' | 'native';

/** A foundation checkpoint with the preprocessing a foreign format (.pt, .safetensors, .onnx) does not record. */
export interface FoundationCheckpointConfig {
  checkpoint: string;
  inputShape?: [number, number, number];
  normalization?: 'torchvision-imagenet' | 'unit' | { mean: number[]; std: number[]; scale?: number };
  channelOrder?: 'rgb' | 'bgr';
  classNames?: string[];
}

export interface AuditConfig {
  $schema?: string;
  /** The run folder's name (default: the config file's name without `.biasaudit.json`). */
  name?: string;
  description?: string;
  foundation: string | FoundationCheckpointConfig;
  target: TargetConfig;
  /** Foundation class (name or index) -> target class (name or index), for probes that compare classes. */
  classMap?: Record<string, string | number>;
  children?: ChildrenConfig;
  existingChildren?: ExistingModelConfig[];
  probes: ProbesConfig;
  /** Folder the run folder is created in (default `bias-audit-runs` beside the config). */
  output?: string;
  compute?: { backend?: ComputeBackendConfig; threads?: number };
}
