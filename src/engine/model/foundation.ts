import type * as tfl from '@tensorflow/tfjs-layers';
import { AuditError } from '../util/errors';
import { applyTrainability } from './freeze';
import { classifierUnits } from './graph';
import type { Normalization } from '../data/normalization';
import type { BlockPrefixSpec, LoadedModel, ModelMeta } from './meta';

export interface FoundationMetaOptions {
  classNames: string[];
  normalization: Normalization;
  /** Defaults to the model's name (the builders name their models `small_resnet`, `resnet18`, `resnet50`). */
  architecture?: string;
  blockPrefixes?: BlockPrefixSpec[];
  /** The seed the model was initialised with. */
  seed: number;
  recipe?: Record<string, unknown>;
}

/**
 * Wraps a freshly built model (from `buildSmallResNet` etc.) as a foundation `LoadedModel`: meta with
 * its classes, input shape and normalisation, lineage role 'foundation', every layer trainable.
 *
 * @example
 * const foundation = asFoundation(buildSmallResNet({ inputShape: [28, 28, 3], numClasses: 10, seed: 1 }),
 *   { classNames, normalization, seed: 1 });
 */
export function asFoundation(model: tfl.LayersModel, options: FoundationMetaOptions): LoadedModel {
  const [, h, w, c] = model.inputs[0].shape;
  if (h == null || w == null || c == null || model.inputs[0].shape.length !== 4) {
    throw new AuditError(`model ${model.name} needs a fixed [height, width, channels] input, has ${JSON.stringify(model.inputs[0].shape)}`, { code: 'BAD_CONFIG' });
  }
  const units = classifierUnits(model);
  if (options.classNames.length !== units) {
    throw new AuditError(`${options.classNames.length} class names given for a classifier with ${units} outputs`, { code: 'BAD_CONFIG' });
  }
  applyTrainability(model, [], 'frozen');
  const meta: ModelMeta = {
    formatVersion: 1,
    classNames: [...options.classNames],
    inputShape: [h, w, c],
    normalization: structuredClone(options.normalization),
    architecture: options.architecture ?? model.name,
    ...(options.blockPrefixes ? { blockPrefixes: structuredClone(options.blockPrefixes) } : {}),
    lineage: {
      role: 'foundation',
      freezeDepth: 0,
      frozenBlocks: [],
      frozenLayers: [],
      bnPolicy: 'frozen',
      headReplaced: false,
      seed: options.seed,
      ...(options.recipe ? { recipe: structuredClone(options.recipe) } : {}),
    },
  };
  return { model, meta, path: '' };
}
