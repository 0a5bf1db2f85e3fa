import type * as tfl from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { AuditError } from '../util/errors';
import type { BatchNormPolicy } from './meta';

/**
 * Trainable flags and the BatchNorm policy of frozen layers.
 *
 * tfjs-layers 4.22 differs from Keras 2 here: a BatchNormalization layer with `trainable = false` that is
 * called with `training: true` still normalises with the batch statistics AND updates its moving
 * mean/variance (checked in `test/unit/model/freeze.test.ts`). The 'frozen' policy therefore replaces the
 * layer's `call` on the instance so that it always runs in inference mode. The patch lives on the layer
 * object, so it is re-applied by `loadModel` from the lineage recorded in the meta.
 *
 * A second tfjs quirk: a layer deserialised with `trainable: false` keeps its tf.Variables marked
 * trainable (only `layer.trainableWeights` hides them), so an optimizer given no variable list would
 * still update them. Setting `layer.trainable` again through its setter fixes the variables' flags.
 */

type LayerCall = tfl.layers.Layer['call'];

const originalCalls = new WeakMap<tfl.layers.Layer, LayerCall>();

/** Makes a BatchNormalization layer always normalise with its moving statistics and never update them. */
export function freezeBatchNormStatistics(layer: tfl.layers.Layer): void {
  if (originalCalls.has(layer)) return;
  const original = layer.call.bind(layer) as LayerCall;
  originalCalls.set(layer, original);
  layer.call = (inputs, kwargs: Kwargs) => original(inputs, { ...kwargs, training: false });
}

/** Undoes `freezeBatchNormStatistics`. */
export function unfreezeBatchNormStatistics(layer: tfl.layers.Layer): void {
  const original = originalCalls.get(layer);
  if (!original) return;
  originalCalls.delete(layer);
  // Removing the own property exposes the prototype's call again.
  delete (layer as { call?: LayerCall }).call;
}

/** Whether `freezeBatchNormStatistics` is in effect on `layer`. */
export function isBatchNormStatisticsFrozen(layer: tfl.layers.Layer): boolean {
  return originalCalls.has(layer);
}

/**
 * Sets every layer's trainable flag (frozen iff listed in `frozenLayers`; when `frozenLayers` is
 * undefined the flags already in the model are kept) and applies `bnPolicy` to the non-trainable
 * BatchNormalization layers. Without a recorded policy, pass 'frozen': that is Keras 2's own rule
 * for a non-trainable BatchNorm layer.
 */
export function applyTrainability(model: tfl.LayersModel, frozenLayers: readonly string[] | undefined, bnPolicy: BatchNormPolicy): void {
  const frozen = frozenLayers ? new Set(frozenLayers) : undefined;
  if (frozen) {
    const names = new Set(model.layers.map((l) => l.name));
    const unknown = [...frozen].filter((n) => !names.has(n));
    if (unknown.length > 0) {
      throw new AuditError(`frozen layers ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''} are not in model ${model.name}`, { code: 'BAD_META' });
    }
  }
  for (const layer of model.layers) {
    layer.trainable = frozen ? !frozen.has(layer.name) : layer.trainable;
    if (layer.getClassName() !== 'BatchNormalization') continue;
    if (!layer.trainable && bnPolicy === 'frozen') freezeBatchNormStatistics(layer);
    else unfreezeBatchNormStatistics(layer);
  }
}
