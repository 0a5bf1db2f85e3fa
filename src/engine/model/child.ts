import type * as tfl from '@tensorflow/tfjs-layers';
import { AuditError } from '../util/errors';
import { analyzeBlocks, type Block } from './blocks';
import { applyTrainability } from './freeze';
import type { BatchNormPolicy, FreezeSpec, LoadedModel, ModelMeta } from './meta';
import { frozenWeightHashes, modelHash } from './model-hash';
import { buildFromTopology } from './build-model';
import { editedTopology } from './topology-edit';

export interface DeriveChildOptions {
  /** The target dataset's classes; the new head gets one output per class. */
  classNames: string[];
  /** Blocks to freeze from the input side: a count, 'full' (none, full-network transfer) or 'fixed' (all). */
  freezeDepth: FreezeSpec;
  /** Keep the foundation's classifier and its weights (needs as many classes as the foundation). */
  keepHead?: boolean;
  /** BatchNorm layers in frozen blocks: 'frozen' (default) keeps and uses their moving statistics. */
  bnPolicy?: BatchNormPolicy;
  /** Seeds the new head's initialisation. */
  seed: number;
}

/** Turns a freeze request into a block count, checking its range. */
export function resolveFreezeDepth(spec: FreezeSpec, blocks: Block[]): number {
  if (spec === 'full') return 0;
  if (spec === 'fixed') return blocks.length;
  if (!Number.isInteger(spec) || spec < 0 || spec > blocks.length) {
    throw new AuditError(`freeze depth ${spec} is out of range: this model has ${blocks.length} blocks (${blocks.map((b) => b.name).join(', ')}); use 0..${blocks.length}, 'full' or 'fixed'`, {
      code: 'BAD_CONFIG',
    });
  }
  return spec;
}

function checkClassNames(classNames: string[]): void {
  if (classNames.length < 2) throw new AuditError(`a classifier needs at least 2 classes, got ${classNames.length}`, { code: 'BAD_CONFIG' });
  const duplicate = classNames.find((name, i) => classNames.indexOf(name) !== i);
  if (duplicate !== undefined) throw new AuditError(`class name "${duplicate}" appears twice`, { code: 'BAD_CONFIG' });
}

/**
 * A child of `foundation` for a target task: a new model with the foundation's weights, a new Dense
 * classifier for `classNames` (or the kept head), the first K blocks non-trainable and the BatchNorm policy
 * applied in them. The lineage and the frozen blocks' weight hashes go into the child's meta, so that
 * after training `frozenWeightHashes` proves the frozen blocks did not change.
 *
 * @example
 * const child = await deriveChild(foundation, { classNames: target.classNames, freezeDepth: 2, seed: 7 });
 */
export async function deriveChild(foundation: LoadedModel, options: DeriveChildOptions): Promise<LoadedModel> {
  checkClassNames(options.classNames);
  const analysis = analyzeBlocks(foundation.model, foundation.meta);
  const depth = resolveFreezeDepth(options.freezeDepth, analysis.blocks);
  const bnPolicy = options.bnPolicy ?? 'frozen';
  const keepHead = options.keepHead ?? false;
  const classifier = foundation.model.getLayer(analysis.classifier);
  const foundationUnits = classifier.outputShape[classifier.outputShape.length - 1] as number;
  if (keepHead && foundationUnits !== options.classNames.length) {
    throw new AuditError(`keepHead needs as many target classes as the foundation has outputs (${foundationUnits}), got ${options.classNames.length}`, {
      code: 'BAD_CONFIG',
    });
  }
  const topology = editedTopology(
    foundation.model,
    keepHead ? {} : { resize: { layer: analysis.classifier, units: options.classNames.length }, reseed: { layers: new Set([analysis.classifier]), seed: options.seed, label: 'head' } },
  );
  const child = await buildFromTopology(topology);
  try {
    copyWeights(foundation.model, child, keepHead ? undefined : analysis.classifier);
    const frozenBlocks = analysis.blocks.slice(0, depth);
    const frozenLayers = frozenBlocks.flatMap((b) => b.layers);
    applyTrainability(child, frozenLayers, bnPolicy);
    const meta: ModelMeta = {
      formatVersion: 1,
      classNames: [...options.classNames],
      inputShape: [...foundation.meta.inputShape],
      normalization: structuredClone(foundation.meta.normalization),
      architecture: foundation.meta.architecture,
      ...(foundation.meta.blockPrefixes ? { blockPrefixes: structuredClone(foundation.meta.blockPrefixes) } : {}),
      lineage: {
        role: 'child',
        parentHash: modelHash(foundation.model),
        freezeSpec: options.freezeDepth,
        freezeDepth: depth,
        frozenBlocks: frozenBlocks.map((b) => b.name),
        frozenLayers,
        bnPolicy,
        headReplaced: !keepHead,
        seed: options.seed,
      },
      frozenWeightHashes: frozenWeightHashes(child, analysis.blocks, depth),
    };
    return { model: child, meta, path: '' };
  } catch (e) {
    child.dispose();
    throw e;
  }
}

/** Copies every layer's weights (BatchNorm statistics included) except `skipLayer`'s. */
function copyWeights(from: tfl.LayersModel, to: tfl.LayersModel, skipLayer: string | undefined): void {
  for (const layer of from.layers) {
    if (layer.name === skipLayer || layer.weights.length === 0) continue;
    to.getLayer(layer.name).setWeights(layer.getWeights());
  }
}

export interface ScratchOptions {
  classNames: string[];
  seed: number;
}

/**
 * The scratch baseline: `like`'s architecture with a classifier for `classNames`, every weight freshly
 * initialised from `seed`, everything trainable. Normalisation and block prefixes are kept from `like`.
 */
export async function buildScratch(like: LoadedModel, options: ScratchOptions): Promise<LoadedModel> {
  checkClassNames(options.classNames);
  const analysis = analyzeBlocks(like.model, like.meta);
  const topology = editedTopology(like.model, {
    resize: { layer: analysis.classifier, units: options.classNames.length },
    reseed: { layers: 'all', seed: options.seed, label: 'scratch' },
  });
  const model = await buildFromTopology(topology);
  applyTrainability(model, [], 'frozen');
  const meta: ModelMeta = {
    formatVersion: 1,
    classNames: [...options.classNames],
    inputShape: [...like.meta.inputShape],
    normalization: structuredClone(like.meta.normalization),
    architecture: like.meta.architecture,
    ...(like.meta.blockPrefixes ? { blockPrefixes: structuredClone(like.meta.blockPrefixes) } : {}),
    lineage: { role: 'scratch', freezeDepth: 0, frozenBlocks: [], frozenLayers: [], bnPolicy: 'frozen', headReplaced: true, seed: options.seed },
  };
  return { model, meta, path: '' };
}
