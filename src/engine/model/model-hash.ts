import type * as tfl from '@tensorflow/tfjs-layers';
import { hashJson, sha256 } from '../util/hash';
import type { Block } from './blocks';

/**
 * Content hashes for provenance: of a whole model (topology + weights), and of the frozen blocks
 * (weights and BatchNorm moving statistics) so that a trained child proves its frozen blocks are intact.
 */

interface WeightDigest {
  name: string;
  shape: number[];
  sha256: string;
}

function digestWeights(layer: tfl.layers.Layer): WeightDigest[] {
  // `layer.weights` holds trainable weights and non-trainable ones (BatchNorm moving mean/variance).
  return layer.weights.map((w) => {
    const data = w.read().dataSync();
    return {
      name: w.originalName,
      shape: [...w.shape] as number[],
      sha256: sha256(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)),
    };
  });
}

/**
 * The topology without what does not change the function a model computes: the model's own name
 * (tfjs numbers unnamed models per process) and the layers' `trainable` flags.
 */
function functionalTopology(model: tfl.LayersModel): unknown {
  const json = model.toJSON(null, false) as { config?: Record<string, unknown> };
  const config = { ...(json.config ?? {}) };
  delete config.name;
  return JSON.parse(JSON.stringify(config, (key, value: unknown) => (key === 'trainable' ? undefined : value)));
}

/**
 * SHA-256 of a model's topology and every weight (trainable or not), independent of the model's name
 * and its trainable flags. Equal for a model and its save/load round trip.
 */
export function modelHash(model: tfl.LayersModel): string {
  return hashJson({ topology: functionalTopology(model), weights: model.layers.flatMap((layer) => digestWeights(layer)) });
}

/**
 * Block name -> hash of every weight and BatchNorm statistic of the layers in the first `k` blocks.
 * Take it before training and again after: equal hashes prove the frozen blocks did not change.
 */
export function frozenWeightHashes(model: tfl.LayersModel, blocks: Block[], k: number): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (const block of blocks.slice(0, k)) {
    hashes[block.name] = hashJson(block.layers.map((name) => ({ layer: name, weights: digestWeights(model.getLayer(name)) })));
  }
  return hashes;
}

/** Names of blocks whose hash differs between `expected` and `actual` (or that is missing from `actual`). */
export function changedBlocks(expected: Record<string, string>, actual: Record<string, string>): string[] {
  return Object.keys(expected).filter((name) => actual[name] !== expected[name]);
}
