import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { AuditError } from '../util/errors';

/**
 * Builds a LayersModel from Keras JSON (freshly initialised) and fills it with checkpoint weights,
 * validating names and shapes before anything is written. We do this ourselves rather than through
 * `tfl.loadLayersModel(handler)` because tfjs leaks the half-built model and the decoded weight tensors
 * when a checkpoint does not match its topology; here a failure disposes everything it created.
 */

/** A new model from Keras JSON (`{class_name, config}`), every weight from its initialiser. */
export async function buildFromTopology(topology: object, file?: string): Promise<tfl.LayersModel> {
  const before = new Set(Object.keys(tf.engine().registeredVariables));
  try {
    return await tfl.models.modelFromJSON({ modelTopology: topology as tfl.ModelAndWeightsConfig['modelTopology'] });
  } catch (e) {
    // Layers built before the failing one created variables that no model owns any more.
    for (const [name, variable] of Object.entries(tf.engine().registeredVariables)) if (!before.has(name)) variable.dispose();
    throw new AuditError(`cannot build the model from its topology: ${(e as Error).message}`, { file, code: 'BAD_CHECKPOINT', cause: e });
  }
}

/** tfjs' rule for names written by TF >= 2.2 with a cell scope (`layer/cell/kernel` -> `layer/kernel`). */
function withoutCellScope(name: string): string {
  const tokens = name.split('/');
  return tokens.slice(0, -2).concat([tokens[tokens.length - 1]]).join('/');
}

/**
 * Writes checkpoint weights into `model`: every model weight (BatchNorm statistics included) must have
 * exactly one entry of the same shape in `specs`. Optimizer weights in the checkpoint are ignored.
 */
export function loadCheckpointWeights(model: tfl.LayersModel, specs: tf.io.WeightsManifestEntry[], data: tf.io.WeightData, file: string): void {
  const modelSpecs = specs.filter((s) => s.group !== 'optimizer');
  const byName = new Map(model.weights.map((w) => [w.originalName, w]));
  const assignment = new Map<string, tfl.LayerVariable>();
  const unmatched: string[] = [];
  for (const spec of modelSpecs) {
    const variable = byName.get(spec.name) ?? byName.get(withoutCellScope(spec.name));
    if (!variable || [...assignment.values()].includes(variable)) {
      unmatched.push(spec.name);
      continue;
    }
    if (variable.shape.join(',') !== spec.shape.join(',')) {
      throw new AuditError(`weight ${spec.name} has shape [${spec.shape.join(', ')}] in the weights manifest but the layer needs [${variable.shape.join(', ')}]`, {
        file,
        code: 'BAD_CHECKPOINT',
      });
    }
    assignment.set(spec.name, variable);
  }
  if (unmatched.length > 0) {
    throw new AuditError(`${unmatched.length} weights in the manifest belong to no layer of the topology: ${listSome(unmatched)}`, { file, code: 'BAD_CHECKPOINT' });
  }
  const assigned = new Set(assignment.values());
  const missing = model.weights.filter((w) => !assigned.has(w)).map((w) => w.originalName);
  if (missing.length > 0) {
    throw new AuditError(`${missing.length} of ${model.weights.length} model weights are not in the weights manifest: ${listSome(missing)}`, { file, code: 'BAD_CHECKPOINT' });
  }
  tf.tidy(() => {
    const decoded = tf.io.decodeWeights(data, specs);
    for (const [name, variable] of assignment) variable.write(decoded[name]);
  });
}

function listSome(names: string[]): string {
  return names.length > 5 ? `${names.slice(0, 5).join(', ')}, ...` : names.join(', ');
}
