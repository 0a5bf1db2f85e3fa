import type * as tfl from '@tensorflow/tfjs-layers';
import { dirname } from 'node:path';
import { AuditError } from '../util/errors';
import { buildFromTopology, loadCheckpointWeights } from './build-model';
import { applyTrainability } from './freeze';
import { classifierUnits } from './graph';
import { normalizationProblem, UNIT_RANGE } from '../data/normalization';
import { META_KEY, type LoadedModel, type MetaSources, type ModelMeta } from './meta';
import { parseModelMeta } from './meta-parse';
import { readModelFiles } from './model-json';
import { readSidecars } from './sidecars';

/**
 * Loads a TF.js LayersModel checkpoint from disk: `path` is model.json or its directory. Works for
 * tfjs-saved models and for Keras models converted by tensorflowjs_converter (Keras 2 or 3 topology),
 * functional or Sequential. Class names come from a sidecar (classes.txt, classes.json, metadata.json)
 * when present, else from the meta in model.json, else `class 0`, `class 1`, ...
 * Trainable flags and the BatchNorm policy recorded in the meta are re-applied.
 *
 * Every problem with the files is an `AuditError` naming the file.
 *
 * @example
 * const { model, meta } = await loadModel('samples/foundation/model.json');
 */
export async function loadModel(path: string): Promise<LoadedModel> {
  const files = await readModelFiles(path);
  const file = files.modelJsonPath;
  const { modelTopology, weightSpecs, weightData } = files.artifacts;
  const model = await buildFromTopology(modelTopology as object, file);
  try {
    loadCheckpointWeights(model, weightSpecs ?? [], weightData ?? new ArrayBuffer(0), file);
    const { meta, sources } = await resolveMeta(model, files.artifacts.userDefinedMetadata, file);
    const lineage = meta.lineage;
    applyTrainability(model, lineage?.frozenLayers, lineage?.bnPolicy ?? 'frozen');
    return { model, meta, path, metaSources: sources };
  } catch (e) {
    model.dispose();
    if (e instanceof AuditError && e.file === undefined) throw new AuditError(e.message, { file, code: e.code, cause: e });
    throw e;
  }
}

async function resolveMeta(
  model: tfl.LayersModel,
  userDefinedMetadata: Record<string, unknown> | undefined,
  file: string,
): Promise<{ meta: ModelMeta; sources: MetaSources }> {
  const stored = userDefinedMetadata?.[META_KEY] !== undefined ? parseModelMeta(userDefinedMetadata[META_KEY], file) : undefined;
  const sidecars = await readSidecars(dirname(file));
  const outputUnits = classifierUnits(model);
  const inputShape = modelInputShape(model, stored, file);

  let classNames: string[];
  let classSource: string;
  if (sidecars.classNames) {
    classNames = sidecars.classNames;
    classSource = sidecars.classNamesFile!;
  } else if (stored) {
    classNames = stored.classNames;
    classSource = file;
  } else {
    classNames = Array.from({ length: outputUnits }, (_, i) => `class ${i}`);
    classSource = 'indices';
  }
  if (classNames.length !== outputUnits) {
    throw new AuditError(`lists ${classNames.length} classes but the model's classifier has ${outputUnits} outputs`, {
      file: classSource === 'indices' ? file : classSource,
      code: 'BAD_CLASSES',
    });
  }
  const normalization = stored?.normalization ?? sidecars.normalization ?? { scale: UNIT_RANGE.scale, mean: [...UNIT_RANGE.mean], std: [...UNIT_RANGE.std] };
  const normalizationSource = stored ? file : (sidecars.normalizationFile ?? 'default');
  const problem = normalizationProblem(normalization, inputShape[2]);
  if (problem !== undefined) {
    throw new AuditError(`normalization does not fit the model's ${inputShape[2]} input channels: ${problem}`, {
      file: normalizationSource === 'default' ? file : normalizationSource,
      code: 'BAD_META',
    });
  }
  const meta: ModelMeta = {
    ...(stored ?? {}),
    formatVersion: 1,
    classNames,
    inputShape,
    normalization,
    architecture: stored?.architecture ?? model.name,
  };
  return { meta, sources: { classNames: classSource, normalization: normalizationSource } };
}

function modelInputShape(model: tfl.LayersModel, stored: ModelMeta | undefined, file: string): [number, number, number] {
  const shape = model.inputs[0].shape;
  if (shape.length !== 4) {
    throw new AuditError(`the model's input has shape ${JSON.stringify(shape)}; an image classifier takes [batch, height, width, channels]`, {
      file,
      code: 'UNSUPPORTED_MODEL',
    });
  }
  const [, h, w, c] = shape;
  if (h == null || w == null || c == null) {
    if (stored) return stored.inputShape;
    throw new AuditError(`the model's input size is not fixed (${JSON.stringify(shape)}); record inputShape in userDefinedMetadata.${META_KEY}`, {
      file,
      code: 'UNSUPPORTED_MODEL',
    });
  }
  if (stored && (stored.inputShape[0] !== h || stored.inputShape[1] !== w || stored.inputShape[2] !== c)) {
    throw new AuditError(`meta inputShape ${stored.inputShape.join('x')} does not match the model's input ${h}x${w}x${c}`, { file, code: 'BAD_META' });
  }
  return [h, w, c];
}
