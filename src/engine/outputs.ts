import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { nativeGraphFor } from './backend/native-graph';

/**
 * How to get class logits and penultimate features out of any classifier, whether its last layer emits logits
 * (our own models) or probabilities (Keras-converted models end in `Dense(activation='softmax')`, or in a
 * separate `Activation('softmax')` / `Softmax` layer). Strong stimuli need true logits, the training loss
 * needs log-probabilities, and the association probe needs the penultimate features.
 */
export interface ClassifierHead {
  /** The final classification layer (a Dense). */
  dense: tfl.layers.Layer;
  /** Whether `dense` applies softmax itself. */
  denseHasSoftmax: boolean;
  /** A separate softmax layer after `dense`, if any. */
  softmaxLayer?: tfl.layers.Layer;
  /** Model from the input to the penultimate features (the input of `dense`). Shares weights with the model. */
  features: tfl.LayersModel;
}

const heads = new WeakMap<tfl.LayersModel, ClassifierHead>();

function activationOf(layer: tfl.layers.Layer): string | undefined {
  const a = (layer.getConfig() as { activation?: unknown }).activation;
  return typeof a === 'string' ? a : undefined;
}

/**
 * The layer that produced `t` and the symbolic input it was applied to. Walks the graph through the
 * tensor's own node, not `layer.input`, because a layer shared by several graphs (the suffix models of
 * frozen-prefix caching) has several inbound nodes.
 */
function producer(t: tfl.SymbolicTensor): { layer: tfl.layers.Layer; input: tfl.SymbolicTensor } {
  const layer = t.sourceLayer as tfl.layers.Layer;
  const node = layer.inboundNodes[t.nodeIndex];
  if (node.inputTensors.length !== 1) throw new Error(`layer "${layer.name}" has ${node.inputTensors.length} inputs; expected 1`);
  return { layer, input: node.inputTensors[0] };
}

/** Finds the classification head of `model`; cached per model object. */
export function classifierHead(model: tfl.LayersModel): ClassifierHead {
  const cached = heads.get(model);
  if (cached) return cached;
  if (model.outputs.length !== 1) throw new Error(`the model has ${model.outputs.length} outputs; a classifier has one`);
  let { layer: last, input } = producer(model.outputs[0]);
  let softmaxLayer: tfl.layers.Layer | undefined;
  const cls = last.getClassName();
  if ((cls === 'Activation' && activationOf(last) === 'softmax') || cls === 'Softmax') {
    softmaxLayer = last;
    ({ layer: last, input } = producer(input));
  }
  if (last.getClassName() !== 'Dense') {
    throw new Error(`the model's last layer is ${last.getClassName()} "${last.name}"; a classifier must end in a Dense layer (optionally followed by softmax)`);
  }
  const features = tfl.model({ inputs: model.inputs, outputs: input });
  const head: ClassifierHead = { dense: last, denseHasSoftmax: activationOf(last) === 'softmax', softmaxLayer, features };
  heads.set(model, head);
  return head;
}

/** Whether the model's output is already a probability vector. */
export function outputsProbabilities(model: tfl.LayersModel): boolean {
  const h = classifierHead(model);
  return h.denseHasSoftmax || h.softmaxLayer !== undefined;
}

/** Pre-softmax class scores for a batch. `training` selects BatchNorm/Dropout behaviour. */
export function logits(model: tfl.LayersModel, x: tf.Tensor, training = false): tf.Tensor2D {
  if (!training) {
    const z = nativeInference(model, x);
    if (z !== undefined) return z as tf.Tensor2D;
  }
  if (!outputsProbabilities(model)) return model.apply(x, { training }) as tf.Tensor2D;
  const h = classifierHead(model);
  return tf.tidy(() => {
    const f = h.features.apply(x, { training }) as tf.Tensor2D;
    const [kernel, bias] = h.dense.getWeights(false);
    const z = tf.matMul(f, kernel);
    return (bias === undefined ? z : tf.add(z, bias)) as tf.Tensor2D;
  });
}

/** Penultimate features (the input of the final Dense) for a batch, in inference mode. */
export function penultimateFeatures(model: tfl.LayersModel, x: tf.Tensor): tf.Tensor2D {
  const features = classifierHead(model).features;
  return (nativeInference(features, x) ?? features.apply(x, { training: false })) as tf.Tensor2D;
}

/** `model.predict(x)`, computed natively where it can be (a model ending in softmax: always by tfjs). */
export function inferenceOutput(model: tfl.LayersModel, x: tf.Tensor): tf.Tensor {
  return nativeInference(model, x, false) ?? (model.predict(x) as tf.Tensor);
}

/**
 * On the native backend, inference off the tfjs engine (native-graph.ts) when the model's layers allow and
 * no gradient is being recorded; else undefined. A final softmax is dropped (logits).
 */
function nativeInference(model: tfl.LayersModel, x: tf.Tensor, logitsWanted = true): tf.Tensor | undefined {
  const graph = nativeGraphFor(model, x);
  if (graph === undefined || (graph.dropsSoftmax && !logitsWanted)) return undefined;
  return graph.infer(x);
}
