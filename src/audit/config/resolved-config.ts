import type { ImportOptions } from '../../engine/import/import-checkpoint';
import type { DataSelection, DataSpec } from '../../engine/data/spec';
import type { BatchNormPolicy, FreezeSpec } from '../../engine/model/meta';
import type { Recipe } from '../../engine/train/recipe';
import type { AuditConfig, ComputeBackendConfig, ProbesConfig } from './config-types';

/** A data reference with its SPEC parsed (absolute paths) and its structured selection. */
export interface ResolvedDataRef {
  /** JSON path in the config, e.g. `target.train` (for errors). */
  where: string;
  /** As written in the config (the SPEC string, or the structured form's `spec`). */
  written: string;
  spec: DataSpec;
  /** The structured form's selection fields (merged with the SPEC's `?` suffix when opened). */
  selection: DataSelection;
}

export interface ResolvedChildren {
  freezeDepths: FreezeSpec[];
  seeds: number[];
  scratch: boolean;
  bnPolicy: BatchNormPolicy;
  keepHead: boolean;
  recipe: Recipe;
  scratchRecipe: Recipe;
  cachePrefix: boolean;
}

export interface ResolvedExistingModel {
  where: string;
  id: string | null;
  checkpoint: string;
  role: 'child' | 'scratch';
  freezeDepth: number | null;
  seed: number | null;
  label: string | null;
}

/** The config with defaults applied and every path absolute: what the run works from. */
export interface ResolvedAuditConfig {
  /** Absolute path of the config file. */
  configPath: string;
  configDir: string;
  /** The config as written (recorded in the manifest). */
  written: AuditConfig;
  name: string;
  description: string | null;
  /** Absolute path of the foundation checkpoint. */
  foundation: string;
  /** How to import a foreign foundation checkpoint (empty for model.json). */
  foundationImport: ImportOptions;
  target: {
    train: ResolvedDataRef;
    test: ResolvedDataRef | null;
    validation: ResolvedDataRef | null;
    testFraction: number;
  };
  classMap: Record<string, string | number> | null;
  children: ResolvedChildren | null;
  existingChildren: ResolvedExistingModel[];
  /** Probe sections with their own paths made absolute (the probe modules read them). */
  probes: ProbesConfig;
  /** Folder the run folder is created in. */
  outputRoot: string;
  compute: { backend: ComputeBackendConfig | null; threads: number | null };
}
