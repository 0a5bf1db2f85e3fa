import type { FreezeSpec } from '../../engine/model/meta';
import { resolveFreezeDepth } from '../../engine/model/child';
import type { ResolvedAuditConfig } from '../config/resolved-config';
import { type PlannedModel, plannedModelId, plannedModelLabel, type TrainingVariant } from '../lineage/model-plan';
import type { SourcePretraining } from '../lineage/train-model';
import type { AuditInputs, PreparedProbe, ProbeModel, ProbeSetupStep } from '../probes/probe-adapter';
import { stepKey } from '../steps/step-key';
import type { LoadedExistingModel } from './open-inputs';

/** A further source model (planted bias): pretrained by the run, or loaded from a checkpoint. */
export interface PlannedSource {
  /** `planted`, `clean`. */
  id: string;
  /** `source-planted`. */
  modelId: string;
  label: string;
  checkpoint: string | null;
  pretrain: (SourcePretraining & { dataHash: string; digest: unknown }) | null;
  /** Step key of its pretraining, or the content hash of the loaded checkpoint. */
  identity: string;
}

/** One unit of work, keyed by the hash of its inputs. */
export type PlannedStep =
  | { kind: 'pretrain'; key: string; label: string; source: PlannedSource; inputs: unknown }
  | { kind: 'train'; key: string; label: string; model: PlannedModel; inputs: unknown }
  | { kind: 'setup'; key: string; label: string; probe: PreparedProbe; setup: ProbeSetupStep; inputs: unknown }
  | { kind: 'probe'; key: string; label: string; probe: PreparedProbe; model: ProbeModel; inputs: unknown };

export interface RunPlan {
  sources: PlannedSource[];
  /**
   * Models that are another model by construction (the same parent, data, freeze depth, seed and recipe: e.g. a
   * child of a `clean` source that is the foundation itself) -> that model's id. They share its training step.
   */
  aliases: Map<string, string>;
  /** Children and scratch models: trained by the run or existing. */
  models: PlannedModel[];
  /** Every model probes may measure: the foundation, further sources, children, scratch. */
  probeModels: ProbeModel[];
  steps: PlannedStep[];
}

export interface PlanInputs {
  config: ResolvedAuditConfig;
  inputs: AuditInputs;
  existing: LoadedExistingModel[];
  blocks: string[];
  probes: PreparedProbe[];
  toolVersion: string;
}

/**
 * Every model and step of the run, in the order they run: source pretraining, training, probe setup (e.g. the
 * stimuli), then each probe on each model. Keys are content hashes of everything that decides a step's result,
 * so they are known before anything runs and stay equal across resumes.
 */
export function planRun(p: PlanInputs): RunPlan {
  const { config, inputs } = p;
  const children = config.children;
  const blockRefs = p.blocks.map((name) => ({ name, layers: [] }));
  const depthOf = (spec: FreezeSpec): number => resolveFreezeDepth(spec, blockRefs);
  const trainData = { train: inputs.hashes.train, validation: inputs.hashes.validation, classNames: [...inputs.train.classNames] };

  const sources: PlannedSource[] = [];
  for (const probe of p.probes) {
    for (const request of probe.training?.sources ?? []) {
      const pretrain = request.pretrain
        ? { id: request.id, data: request.pretrain.data, recipe: request.pretrain.recipe, seed: request.pretrain.seed, transform: request.pretrain.transform, dataHash: request.pretrain.dataHash, digest: request.pretrain.digest }
        : null;
      const identity = pretrain
        ? stepKey('train', 'train/source', { architecture: inputs.foundation.hash, data: pretrain.dataHash, recipe: pretrain.recipe, seed: pretrain.seed, transform: pretrain.digest }, p.toolVersion)
        : (request.checkpointHash ?? '');
      sources.push({ id: request.id, modelId: `source-${request.id}`, label: request.label, checkpoint: request.checkpoint ?? null, pretrain, identity });
    }
  }
  const identityOfParent = (parentId: string): string => (parentId === 'foundation' ? inputs.foundation.hash : sources.find((s) => s.id === parentId)!.identity);

  const models: PlannedModel[] = [];
  const addTrained = (role: 'child' | 'scratch', spec: FreezeSpec | null, seed: number, parentId: string | null, sourceId: string | null, variant: TrainingVariant | null): void => {
    if (!children) return;
    const freezeDepth = spec === null ? null : depthOf(spec);
    const recipe = role === 'child' ? children.recipe : children.scratchRecipe;
    const model: PlannedModel = {
      id: plannedModelId(role, { freezeDepth, seed, sourceId, variantId: variant?.id ?? null }),
      role, label: plannedModelLabel(role, { freezeDepth, seed, sourceId, variantLabel: variant?.label ?? null }),
      parentId, freezeSpec: spec, freezeDepth, seed, sourceId, variant, recipe,
      bnPolicy: role === 'child' ? children.bnPolicy : null, keepHead: role === 'child' && children.keepHead, cachePrefix: children.cachePrefix,
      existingCheckpoint: null, identity: '',
    };
    model.identity = stepKey('train', `train/${role}`, {
      ...trainData,
      parent: parentId === null ? null : identityOfParent(parentId),
      // The scratch baseline takes the foundation's architecture (and nothing else of it).
      architecture: role === 'scratch' ? inputs.foundation.hash : null,
      freezeDepth, seed, recipe, bnPolicy: model.bnPolicy, keepHead: model.keepHead, variant: variant?.digest ?? null,
    }, p.toolVersion);
    models.push(model);
  };
  const baseVariants: (TrainingVariant | null)[] = [null, ...p.probes.flatMap((probe) => probe.training?.variants ?? [])];
  if (children) {
    for (const variant of baseVariants) {
      for (const spec of children.freezeDepths) for (const seed of children.seeds) addTrained('child', spec, seed, 'foundation', null, variant);
      if (children.scratch) for (const seed of children.seeds) addTrained('scratch', null, seed, null, null, variant);
    }
    for (const probe of p.probes) {
      const request = probe.training?.sourceChildren;
      if (!request) continue;
      for (const source of sources) {
        for (const variant of request.variants) for (const spec of request.freezeSpecs) for (const seed of children.seeds) addTrained('child', spec, seed, source.id, source.id, variant);
      }
    }
  }
  for (const m of p.existing) {
    models.push({
      id: m.id, role: m.role, label: m.label, parentId: null, freezeSpec: m.freezeDepth, freezeDepth: m.freezeDepth, seed: m.seed, sourceId: null, variant: null,
      recipe: null, bnPolicy: m.loaded.meta.lineage?.bnPolicy ?? null, keepHead: false, cachePrefix: false, existingCheckpoint: m.checkpoint, identity: m.hash,
    });
  }

  const probeModels: ProbeModel[] = [
    { id: 'foundation', role: 'foundation', label: 'foundation', freezeDepth: null, seed: null, sourceId: null, variantId: null, identity: inputs.foundation.hash },
    ...sources.map((s): ProbeModel => ({ id: s.modelId, role: 'foundation', label: s.label, freezeDepth: null, seed: null, sourceId: s.id, variantId: null, identity: s.identity })),
    ...models.map((m): ProbeModel => ({ id: m.id, role: m.role, label: m.label, freezeDepth: m.freezeDepth, seed: m.seed, sourceId: m.sourceId, variantId: m.variant?.id ?? null, identity: m.identity })),
  ];

  const steps: PlannedStep[] = [];
  for (const s of sources) if (s.pretrain) steps.push({ kind: 'pretrain', key: s.identity, label: `pretrain ${s.label}`, source: s, inputs: { source: s.id, seed: s.pretrain.seed } });
  const aliases = new Map<string, string>();
  const trainedBy = new Map<string, string>();
  for (const m of models) {
    if (m.existingCheckpoint !== null) continue;
    const same = trainedBy.get(m.identity);
    if (same !== undefined) {
      aliases.set(m.id, same);
      continue;
    }
    trainedBy.set(m.identity, m.id);
    steps.push({ kind: 'train', key: m.identity, label: `train ${m.label}`, model: m, inputs: { model: m.id } });
  }
  const setupKeys = new Map<PreparedProbe, string[]>();
  for (const probe of p.probes) {
    const keys: string[] = [];
    for (const setup of probe.setupSteps) {
      const key = stepKey(setup.name.startsWith('strongStimuli') ? 'stimuli' : 'probe', setup.name, { foundation: inputs.foundation.hash, inputs: setup.inputs }, p.toolVersion);
      keys.push(key);
      steps.push({ kind: 'setup', key, label: `${probeLabel(probe.name)}: ${setup.label}`, probe, setup, inputs: setup.inputs });
    }
    setupKeys.set(probe, keys);
  }
  for (const model of probeModels) {
    for (const probe of p.probes) {
      if (!probe.selectModels(probeModels).some((m) => m.id === model.id)) continue;
      const key = stepKey('probe', `${probe.name}/model`, { model: model.identity, modelId: model.id, inputs: probe.modelStepInputs, setup: setupKeys.get(probe) }, p.toolVersion);
      steps.push({ kind: 'probe', key, label: `${probeLabel(probe.name)} on ${model.id}`, probe, model, inputs: { model: model.id } });
    }
  }
  return { sources, aliases, models, probeModels, steps };
}

/** `strongStimuli` -> `strong stimuli`. */
export function probeLabel(name: string): string {
  return name.replace(/([A-Z])/g, ' $1').toLowerCase();
}
