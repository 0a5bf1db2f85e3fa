import type * as tfl from '@tensorflow/tfjs-layers';
import { deriveSeed } from '../util/random';

/**
 * Builds new models from an existing model's serialised topology (the Keras JSON that `model.toJSON`
 * writes): same layers and names, with the classifier resized, initialisers re-seeded and trainable
 * flags reset. The new model has fresh layer objects and weights; nothing is shared with the original.
 */

type Json = Record<string, unknown>;

interface LayerEntry {
  class_name: string;
  name?: string;
  config: Json;
}

/** Initialisers that draw random numbers and take a `seed`. */
const CONSTANT_INITIALIZERS = new Set(['Zeros', 'Ones', 'Constant', 'Identity']);

export interface TopologyEdit {
  /** Give the layer of this name `units` outputs. */
  resize?: { layer: string; units: number };
  /** Set `seed` on every random initialiser of these layers (all layers when `'all'`). */
  reseed?: { layers: Set<string> | 'all'; seed: number; label: string };
}

/** The model's topology in Keras JSON, edited. */
export function editedTopology(model: tfl.LayersModel, edit: TopologyEdit): Json {
  const topology = model.toJSON(null, false) as Json;
  for (const layer of layerEntries(topology)) {
    const name = layer.name ?? String(layer.config.name);
    layer.config.trainable = true;
    if (edit.resize && name === edit.resize.layer) layer.config.units = edit.resize.units;
    if (edit.reseed && (edit.reseed.layers === 'all' || edit.reseed.layers.has(name))) {
      for (const [key, value] of Object.entries(layer.config)) {
        if (!key.endsWith('_initializer') || typeof value !== 'object' || value === null) continue;
        const init = value as { class_name?: string; config?: Json };
        if (init.class_name && !CONSTANT_INITIALIZERS.has(init.class_name)) {
          init.config = { ...(init.config ?? {}), seed: deriveSeed(edit.reseed.seed, edit.reseed.label, name, key) };
        }
      }
    }
  }
  return topology;
}

function layerEntries(topology: Json): LayerEntry[] {
  const config = topology.config as Json | LayerEntry[];
  return (Array.isArray(config) ? config : (config.layers as LayerEntry[])) ?? [];
}
