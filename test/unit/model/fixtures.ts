import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSmallResNet } from '../../../src/engine/model/builders/small-resnet';
import { asFoundation } from '../../../src/engine/model/foundation';
import type { LoadedModel } from '../../../src/engine/model/meta';
import { modelArtifacts } from '../../../src/engine/model/save';

/** Test helpers for the model tests: temporary folders, tiny models, and Keras-converter-format files. */

const created: string[] = [];

/** A fresh temporary directory, removed by `removeTmpDirs`. */
export async function makeTmpDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bias-audit-model-'));
  created.push(dir);
  return dir;
}

export async function removeTmpDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** A small ResNet foundation on 12x12x3 inputs with 4 classes: cheap enough for gradient steps on cpu. */
export function tinyFoundation(seed = 1): LoadedModel {
  const model = buildSmallResNet({ inputShape: [12, 12, 3], numClasses: 4, width: 4, seed });
  return asFoundation(model, {
    classNames: ['cat', 'dog', 'fox', 'owl'],
    normalization: { scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
    seed,
  });
}

/** Seeded standard-normal images. */
export function randomImages(n: number, shape: readonly number[], seed: number): tf.Tensor4D {
  return tf.randomNormal([n, ...shape] as [number, number, number, number], 0, 1, 'float32', seed);
}

/** max |a - b|, disposing its intermediates. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** Runs `model.predict` and returns the values, disposing the output. */
export function predictValues(model: tfl.LayersModel, x: tf.Tensor): Float32Array {
  const y = model.predict(x) as tf.Tensor;
  const values = y.dataSync() as Float32Array;
  y.dispose();
  return values;
}

type Json = Record<string, unknown>;

/**
 * Writes `model` the way tensorflowjs_converter writes a Keras HDF5 model: `modelTopology` holding
 * `keras_version`, `model_config` (class `Functional`) and a `training_config`, Keras class names for
 * initialisers, BatchNorm `axis: [3]`, Conv2D `groups: 1`, per-layer dtype, and the weights split into
 * `group1-shardNofM.bin` files. `keras3` writes the Keras 3 forms instead: `{args, kwargs}` inbound nodes
 * with `__keras_tensor__` objects, `batch_shape`, dtype-policy objects, `module`/`registered_name` keys.
 */
export async function writeKerasConverted(model: tfl.LayersModel, dir: string, dialect: 'keras2' | 'keras3', shards = 2): Promise<void> {
  const artifacts = await modelArtifacts(model);
  const topology = artifacts.modelTopology as Json;
  const modelConfig = { class_name: 'Functional', config: topology.config as Json };
  const layers = (modelConfig.config.layers as Json[]).map((layer) => (dialect === 'keras2' ? keras2Layer(layer) : keras3Layer(layer)));
  modelConfig.config.layers = layers;
  if (dialect === 'keras3') {
    const outputs = modelConfig.config.output_layers as unknown[][];
    modelConfig.config.output_layers = outputs[0];
  }
  const modelTopology =
    dialect === 'keras2'
      ? {
          keras_version: '2.13.1',
          backend: 'tensorflow',
          model_config: modelConfig,
          training_config: {
            loss: 'categorical_crossentropy',
            metrics: [[{ class_name: 'MeanMetricWrapper', config: { name: 'accuracy', dtype: 'float32', fn: 'categorical_accuracy' } }]],
            optimizer_config: { class_name: 'Custom>SGD', config: { name: 'SGD', learning_rate: 0.01, momentum: 0.9 } },
          },
        }
      : { ...modelConfig, keras_version: '3.3.3', backend: 'tensorflow' };
  const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? []));
  const paths: string[] = [];
  const shardSize = Math.ceil(data.length / shards);
  for (let i = 0; i < shards; i++) {
    const name = `group1-shard${i + 1}of${shards}.bin`;
    paths.push(name);
    await writeFile(join(dir, name), data.subarray(i * shardSize, Math.min(data.length, (i + 1) * shardSize)));
  }
  const modelJson = {
    format: 'layers-model',
    generatedBy: dialect === 'keras2' ? 'keras v2.13.1' : 'keras v3.3.3',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology,
    weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
  };
  await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
}

function kerasInitializer(value: unknown): unknown {
  const init = value as { class_name?: string; config?: Json } | null;
  if (!init || init.class_name !== 'VarianceScaling') return value;
  const c = init.config ?? {};
  if (c.mode === 'fan_in' && c.distribution === 'normal' && c.scale === 2) return { class_name: 'HeNormal', config: { seed: null } };
  if (c.mode === 'fan_avg' && c.distribution === 'uniform' && c.scale === 1) return { class_name: 'GlorotUniform', config: { seed: null } };
  return value;
}

function keras2Layer(layer: Json): Json {
  const config: Json = { ...(layer.config as Json), dtype: 'float32' };
  for (const key of Object.keys(config)) if (key.endsWith('_initializer')) config[key] = kerasInitializer(config[key]);
  if (layer.class_name === 'BatchNormalization') config.axis = [3];
  if (layer.class_name === 'Conv2D') config.groups = 1;
  if (layer.class_name === 'InputLayer') config.ragged = false;
  return { ...layer, config };
}

function keras3Layer(layer: Json): Json {
  const config: Json = {
    ...(layer.config as Json),
    dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null },
  };
  for (const key of Object.keys(config)) {
    const init = kerasInitializer(config[key]);
    if (key.endsWith('_initializer') && init && typeof init === 'object') config[key] = { module: 'keras.initializers', ...(init as Json), registered_name: null };
  }
  if (layer.class_name === 'InputLayer') {
    config.batch_shape = config.batch_input_shape;
    delete config.batch_input_shape;
    config.dtype = 'float32';
  }
  const nodes = (layer.inbound_nodes as unknown[][][]).map((node) => {
    const tensors = node.map(([name, nodeIndex, tensorIndex]) => ({
      class_name: '__keras_tensor__',
      config: { shape: null, dtype: 'float32', keras_history: [name, nodeIndex, tensorIndex] },
    }));
    return { args: tensors.length === 1 ? tensors : [tensors], kwargs: layer.class_name === 'BatchNormalization' ? { mask: null } : {} };
  });
  return { module: 'keras.layers', class_name: layer.class_name, config, registered_name: null, build_config: { input_shape: null }, name: layer.name, inbound_nodes: nodes };
}
