import type { PixelTransform } from '../../engine/data/batches';
import type { Dataset } from '../../engine/data/dataset';
import type { FreezeSpec, LoadedModel } from '../../engine/model/meta';
import type { Recipe } from '../../engine/train/recipe';
import type { AuditModelRef, ProbeContext } from '../../probes/context';
import type { HeadlineFigure, ProbeName, ProbeResults } from '../../protocol/results';
import type { ProblemList } from '../config/config-error';
import type { ResolvedAuditConfig } from '../config/resolved-config';
import type { SourceModel, TrainingVariant } from '../lineage/model-plan';

/** Everything a probe can check its parameters against before any training: opened data, loaded foundation. */
export interface AuditInputs {
  config: ResolvedAuditConfig;
  foundation: SourceModel;
  /** Target training data (without the held-out test part when the config has no test set). */
  train: Dataset;
  test: Dataset;
  validation: Dataset | null;
  /** Content hashes of train, test, validation. */
  hashes: { train: string; test: string; validation: string | null };
  /** The test data as the config writes it (results.json shows it). */
  testSpec: string;
  trainSpec: string;
  log: (line: string) => void;
}

/** A model as probes are planned over it (before it is trained or loaded). */
export interface ProbeModel {
  id: string;
  role: 'foundation' | 'child' | 'scratch';
  label: string;
  freezeDepth: number | null;
  seed: number | null;
  sourceId: string | null;
  /** The training-data variant (`debiased`, `reweight`, ...); null for the target data as configured. */
  variantId: string | null;
  /** Stable identity for step keys: the training step key of a trained model, the content hash otherwise. */
  identity: string;
}

/** What a step gets while it runs. */
export interface StepRunContext {
  runDir: string;
  probe: ProbeContext;
  signal?: AbortSignal;
  log: (line: string) => void;
  /** Writes a file into the run folder atomically; `relativePath` uses `/`. */
  writeFile(relativePath: string, data: string | Uint8Array): Promise<void>;
}

export interface StepOutput<R> {
  result: R;
  /** Files written, relative to the run folder: the step is reused only while they exist. */
  files: string[];
}

/** A step a probe runs once (not per model), e.g. generating the stimuli on the foundation. */
export interface ProbeSetupStep {
  name: string;
  label: string;
  /** Everything that decides the result (hashed into the step key). */
  inputs: unknown;
  /** Needs the foundation loaded. */
  run(ctx: StepRunContext, foundation: AuditModelRef): Promise<StepOutput<unknown>>;
  /** Receives the result, fresh or reused, before any model step runs. */
  accept(result: unknown): void;
}

/** A source model besides the foundation (planted bias): a checkpoint, or pretrained by the run. */
export interface SourceRequest {
  /** `planted`, `clean`: the `sourceId` of its children. */
  id: string;
  label: string;
  /** model.json of an existing source (loaded by the probe's preparation, with its content hash). */
  checkpoint?: string;
  loaded?: LoadedModel;
  checkpointHash?: string;
  /** Pretrain it in the run: the foundation's architecture from scratch on `data` (with `transform`: the planted trigger). */
  pretrain?: { data: Dataset; dataHash: string; recipe: Recipe; seed: number; transform?: PixelTransform; digest: unknown };
}

/** Extra models a probe needs trained (planted-bias sources and children, finetuning-data interventions). */
export interface ProbeTrainingRequest {
  /** Children (at the configured freeze depths x seeds) and scratch baselines trained again on a variant of the target data. */
  variants?: TrainingVariant[];
  /** Further source models. */
  sources?: SourceRequest[];
  /** Children of every further source, per freeze depth x seed x target-data variant (null: the data as configured). */
  sourceChildren?: { freezeSpecs: FreezeSpec[]; variants: (TrainingVariant | null)[] };
}

/** A probe, validated and ready to plan. */
export interface PreparedProbe {
  name: ProbeName;
  training?: ProbeTrainingRequest;
  setupSteps: ProbeSetupStep[];
  /** The models this probe measures, among every model of the run. */
  selectModels(models: readonly ProbeModel[]): ProbeModel[];
  /** Inputs of the per-model step besides the model itself (hashed into its key with the model's identity). */
  modelStepInputs: unknown;
  /** Runs the per-model step on `model` (loaded); `info` says how it was planned (its training-data variant). */
  runModelStep(ctx: StepRunContext, model: AuditModelRef, info: ProbeModel): Promise<StepOutput<unknown>>;
  /** The probe's section of results.json from every model step's result. */
  aggregate(perModel: ReadonlyMap<string, unknown>, models: readonly ProbeModel[], runDir: string): Promise<NonNullable<ProbeResults[ProbeName]>>;
  headline(section: NonNullable<ProbeResults[ProbeName]>, models: readonly ProbeModel[]): HeadlineFigure[];
}

/** Turns a probe's config section into a `PreparedProbe`, recording every problem (with its JSON path) in `problems`. */
export type ProbePreparer = (section: Record<string, unknown>, inputs: AuditInputs, problems: ProblemList) => Promise<PreparedProbe | null>;
