import { serialization } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the layer classes that `supportedLayerClasses` lists
import { AuditError } from '../util/errors';

/**
 * Keras writes model topologies in two dialects: Keras 2 (what tfjs-layers 4.22 reads, with
 * `inbound_nodes` as nested lists and `batch_input_shape`) and Keras 3 (`inbound_nodes` as
 * `{args, kwargs}` records holding `__keras_tensor__` objects, `batch_shape`, dtype-policy objects).
 * This module rewrites the Keras 3 forms into Keras 2 ones and rejects layer classes tfjs cannot build,
 * so the user gets one message naming the file and the layer instead of a tfjs stack trace.
 */

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Layer classes that never load in TF.js, with what to tell the user. */
const KNOWN_UNSUPPORTED: Record<string, string> = {
  Lambda: 'Lambda layers hold Python code, which TF.js cannot run; rebuild the model without them before converting',
  TFOpLambda: 'TF operations used directly on Keras tensors (TFOpLambda) cannot be converted; wrap them in Keras layers',
  SlicingOpLambda: 'tensor slicing on Keras tensors (SlicingOpLambda) cannot be converted; use a Cropping or Reshape layer',
};

/** The layer and model class names tfjs-layers can deserialise (after `import '@tensorflow/tfjs-layers'`). */
export function supportedLayerClasses(): Set<string> {
  return new Set(Object.keys(serialization.SerializationMap.getMap().classNameMap));
}

/**
 * Returns the model config (`{class_name, config}`) inside a model.json `modelTopology`, rewritten into the
 * Keras 2 dialect; throws `AuditError` naming `file` for a missing config or an unsupported layer class.
 * Accepts `modelTopology` as tfjs writes it (`{class_name, config, keras_version}`) and as
 * tensorflowjs_converter writes it from an HDF5 file (`{keras_version, model_config: {...}, training_config}`).
 */
export function normalizeKerasTopology(modelTopology: unknown, file: string): Json {
  if (!isObject(modelTopology)) {
    throw new AuditError('modelTopology is not an object', { file, code: 'BAD_CHECKPOINT' });
  }
  const modelConfig = isObject(modelTopology.model_config) ? modelTopology.model_config : modelTopology;
  if (typeof modelConfig.class_name !== 'string' || modelConfig.config === undefined) {
    throw new AuditError('modelTopology has no model class_name/config (is this a Keras LayersModel model.json?)', {
      file,
      code: 'BAD_CHECKPOINT',
    });
  }
  const supported = supportedLayerClasses();
  return normalizeModelConfig(structuredClone(modelConfig), file, supported);
}

function normalizeModelConfig(modelConfig: Json, file: string, supported: Set<string>): Json {
  const className = String(modelConfig.class_name);
  if (!supported.has(className)) unsupported(className, String(modelConfig.name ?? className), file);
  const config = modelConfig.config;
  const layers = Array.isArray(config) ? config : isObject(config) && Array.isArray(config.layers) ? config.layers : undefined;
  if (!layers) {
    throw new AuditError(`model config of class ${className} has no layers list`, { file, code: 'BAD_CHECKPOINT' });
  }
  for (const layer of layers) {
    if (!isObject(layer) || typeof layer.class_name !== 'string') {
      throw new AuditError('a layer entry has no class_name', { file, code: 'BAD_CHECKPOINT' });
    }
    normalizeLayer(layer, file, supported);
  }
  if (isObject(config)) {
    if (config.input_layers !== undefined) config.input_layers = normalizeEndpointList(config.input_layers);
    if (config.output_layers !== undefined) config.output_layers = normalizeEndpointList(config.output_layers);
  }
  return modelConfig;
}

function normalizeLayer(layer: Json, file: string, supported: Set<string>): void {
  const className = layer.class_name as string;
  const layerConfig = isObject(layer.config) ? layer.config : {};
  const layerName = String(layer.name ?? layerConfig.name ?? className);
  if (!supported.has(className)) unsupported(className, layerName, file);
  if (className === 'Model' || className === 'Functional' || className === 'Sequential') {
    normalizeModelConfig(layer, file, supported);
  }
  delete layer.module;
  delete layer.registered_name;
  delete layer.build_config;
  if (layer.name === undefined && typeof layerConfig.name === 'string') layer.name = layerConfig.name;
  normalizeLayerConfig(layerConfig, layerName, file);
  if (Array.isArray(layer.inbound_nodes)) layer.inbound_nodes = layer.inbound_nodes.map((node) => normalizeInboundNode(node, layerName, file));
}

function normalizeLayerConfig(config: Json, layerName: string, file: string): void {
  if (Array.isArray(config.batch_shape) && config.batch_input_shape === undefined) {
    config.batch_input_shape = config.batch_shape;
    delete config.batch_shape;
  }
  if (isObject(config.dtype)) {
    const policy = isObject(config.dtype.config) ? config.dtype.config.name : undefined;
    if (policy !== 'float32') {
      throw new AuditError(`layer ${layerName} uses dtype policy ${JSON.stringify(policy)}; only float32 models are supported`, {
        file,
        code: 'UNSUPPORTED_LAYER',
      });
    }
    config.dtype = 'float32';
  }
  if (Array.isArray(config.axis) && config.axis.length === 1 && typeof config.axis[0] === 'number') {
    // Keras BatchNormalization writes `axis: [3]` after build; tfjs expects a number.
    config.axis = config.axis[0];
  }
  if (typeof config.groups === 'number' && config.groups !== 1) {
    throw new AuditError(`layer ${layerName} is a grouped convolution (groups=${config.groups}), which TF.js does not support`, {
      file,
      code: 'UNSUPPORTED_LAYER',
    });
  }
  for (const value of Object.values(config)) {
    // Keras 3 initialiser/regulariser objects carry `module` and `registered_name`, which tfjs does not know.
    if (isObject(value) && typeof value.class_name === 'string') {
      delete value.module;
      delete value.registered_name;
    }
  }
}

/** Keras 3 node `{args: [...], kwargs: {...}}` -> Keras 2 node `[[layer, nodeIndex, tensorIndex, kwargs], ...]`. */
function normalizeInboundNode(node: unknown, layerName: string, file: string): unknown {
  if (Array.isArray(node)) return node;
  if (!isObject(node) || !Array.isArray(node.args)) {
    throw new AuditError(`layer ${layerName} has an inbound node in an unknown format`, { file, code: 'BAD_CHECKPOINT' });
  }
  const kwargs: Json = {};
  if (isObject(node.kwargs)) {
    for (const [key, value] of Object.entries(node.kwargs)) if (value !== null && key !== 'mask') kwargs[key] = value;
  }
  const tensors: unknown[] = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (isObject(value) && value.class_name === '__keras_tensor__' && isObject(value.config)) tensors.push(value.config.keras_history);
  };
  collect(node.args);
  if (tensors.length === 0) {
    throw new AuditError(`layer ${layerName} has an inbound node without input tensors`, { file, code: 'BAD_CHECKPOINT' });
  }
  return tensors.map((history) => {
    if (!Array.isArray(history) || history.length < 3) {
      throw new AuditError(`layer ${layerName} has a malformed keras_history`, { file, code: 'BAD_CHECKPOINT' });
    }
    return [history[0], history[1], history[2], kwargs];
  });
}

/** Keras 3 writes a single endpoint as a flat `[name, 0, 0]`; tfjs wants a list of them. */
function normalizeEndpointList(value: unknown): unknown {
  if (Array.isArray(value) && value.length === 3 && typeof value[0] === 'string' && typeof value[1] === 'number') return [value];
  return value;
}

function unsupported(className: string, layerName: string, file: string): never {
  const reason = KNOWN_UNSUPPORTED[className] ?? 'TF.js (tfjs-layers 4.22) has no implementation of this layer class';
  throw new AuditError(`layer ${layerName} has unsupported class ${className}: ${reason}`, { file, code: 'UNSUPPORTED_LAYER' });
}
