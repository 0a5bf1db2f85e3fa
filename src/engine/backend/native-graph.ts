// Training steps, inference and input gradients of a layers model run directly on the native addon, without
// the tfjs engine.
//
// On the native backend a small network's training step is bound by JavaScript, not arithmetic: tfjs-layers
// and the tfjs engine spend 30-45 us per kernel dispatch (layer bookkeeping, kernel lookup, tensor creation,
// the gradient tape and the tensors it saves), and a small ResNet's step makes ~400 of them while its native
// work is about PyTorch's whole step (README: Speed). Here the model's graph is compiled once into a list of
// nodes; a step runs the forward pass and the backward pass as direct addon calls on pooled buffers, with
// what tfjs composes from several passes done in one: batch norm with the ReLU after it, a residual sum with
// its ReLU, and the whole training-mode batch-norm gradient (its statistics' gradient and the ReLU mask
// included). Only the parameter gradients come back as tensors, for the optimizer.
//
// It takes the layer types of the project's and the imported ResNets (Conv2D, BatchNormalization, ReLU
// activations and layers, Add, ZeroPadding2D, max and average pooling, GlobalAveragePooling2D, Flatten, Dense, a
// final softmax dropped as `logits()` drops it); `nativeGraphRefusal` says why
// a model it cannot take is refused, and the caller then runs the tfjs path. The results equal tfjs's up to
// float rounding (test/unit/native/graph.test.ts checks them against the cpu backend).
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { isBatchNormStatisticsFrozen } from '../model/freeze';
import { NATIVE_BACKEND_NAME, type NativeBackend } from './native-backend';
import { foldBatchNorm, type PendingConv, recordingGradients } from './native-fusion';
import { convParams } from './native-kernels-conv';
import { ADD_RELU_OP, BINARY_OPS, MASK_POSITIVE_OP } from './native-kernels-elementwise';
import { AVERAGE_POOL, MAX_POOL, poolParams } from './native-kernels-pool';

/** Codes of native/src/elementwise.cc's UnaryOp ReLU and ReduceOp Sum / Mean. */
const RELU_UNARY_OP = 0;
const SUM_REDUCE_OP = 0;
const MEAN_REDUCE_OP = 1;
/** ReLU as the conv / matmul post-op code (native-activation.ts). */
const RELU_ACTIVATION = 1;

/** The parts of a tfjs-layers LayerVariable used here. */
interface LayerVariable {
  read(): tf.Variable;
  write(value: tf.Tensor): unknown;
}

type Op =
  | { kind: 'input' }
  | {
    kind: 'conv'; kernel: LayerVariable; bias: LayerVariable | null; strides: [number, number]; dilations: [number, number];
    padding: 'same' | 'valid'; relu: boolean;
  }
  | {
    kind: 'batchNorm'; layer: tfl.layers.Layer; gamma: LayerVariable; beta: LayerVariable; movingMean: LayerVariable;
    movingVariance: LayerVariable; epsilon: number; momentum: number; relu: boolean;
  }
  | { kind: 'relu' }
  | { kind: 'add'; relu: boolean }
  | { kind: 'globalAveragePool' }
  | { kind: 'flatten' }
  | { kind: 'pool'; max: boolean; poolSize: [number, number]; strides: [number, number]; padding: 'same' | 'valid' }
  | { kind: 'zeroPad'; top: number; bottom: number; left: number; right: number }
  | { kind: 'dense'; kernel: LayerVariable; bias: LayerVariable | null; relu: boolean };

interface GraphNode {
  /** Layer name (the model's node for it). */
  name: string;
  op: Op;
  /** Indices of the input nodes (earlier in the list). */
  inputs: number[];
  /** Output shape without the batch axis. */
  shape: number[];
  /**
   * For a conv whose only consumer is a batch norm: that node's index. With fixed statistics the batch norm
   * (and its ReLU) folds into the convolution (native-fusion.ts's foldBatchNorm).
   */
  foldInto?: number;
  /**
   * For such a conv whose batch norm's only consumer is a two-input Add: that Add and its other input. In
   * plain inference, when that input's buffer has no reader left but the Add, the convolution accumulates
   * into it (oneDNN's sum post-op, with the Add's ReLU): the residual sum costs no pass of its own.
   */
  sumInto?: { add: number; other: number };
}

/** What one batch's forward pass keeps for its backward pass. */
interface ForwardState {
  batch: number;
  values: Float32Array[];
  /** Per node: the batch statistics a training-mode batch norm used, or the moving ones it read. */
  statistics: ({ mean: Float32Array; variance: Float32Array; training: boolean } | undefined)[];
  /** Per batch-norm node folded into the convolution before it (inference): that node's output is the conv's. */
  folded: boolean[];
  /** Per conv node: the addon's parameter list at this batch size. */
  convParams: (number[] | undefined)[];
  /** Per conv node that a batch norm folded into: the folded kernel it ran with. */
  foldedKernels: (Float32Array | undefined)[];
}

export interface GraphTrainStep {
  /** Mean (or weighted mean) softmax cross-entropy of the batch. */
  loss: number;
  /** Rows whose arg-max logit is the label. */
  correct: number;
  /** Gradients of the loss, keyed by variable name, for every variable asked for. The caller disposes them. */
  grads: tf.NamedTensorMap;
}

/** The compiled graph of a model whose layers the native step supports. */
export class NativeGraph {
  private constructor(
    private readonly nodes: GraphNode[],
    /** Variables the graph reads, by tf.Variable name: the gradients it can give. */
    private readonly variableNames: Set<string>,
    /** Whether the model ends in a softmax that the graph leaves out (its output is then the logits). */
    readonly dropsSoftmax: boolean,
  ) {
    this.lastReaders = consumersOf(nodes).map((readers, i) => Math.max(i, ...readers));
  }

  /** Per node, the index of the last node reading its output (its own index when none does). */
  private readonly lastReaders: number[];

  /** Compiles `model`, or says which layer (or property) keeps it from running natively. */
  static compile(model: tfl.LayersModel): NativeGraph | { unsupported: string } {
    try {
      const { nodes, dropsSoftmax } = buildNodes(model);
      fuseRelus(nodes);
      markFolds(nodes);
      markResidualSums(nodes);
      const names = new Set<string>();
      for (const node of nodes) {
        for (const variable of variablesOf(node.op)) names.add(variable.read().name);
      }
      return new NativeGraph(nodes, names, dropsSoftmax);
    } catch (error) {
      if (error instanceof Unsupported) return { unsupported: error.message };
      throw error;
    }
  }

  /** Whether every variable is one the graph reads (a gradient for each can be given). */
  covers(variables: readonly tf.Variable[]): boolean {
    return variables.every((v) => this.variableNames.has(v.name));
  }

  /**
   * One training step's loss, accuracy count and gradients (the model in training mode: batch norms that are
   * not frozen normalise with the batch's statistics and update their moving ones, as tfjs-layers does).
   * `labels` are class indices; `weights` per-example loss weights (weighted mean), as the trainer's loss.
   */
  trainStep(x: tf.Tensor, labels: ArrayLike<number>, weights: ArrayLike<number> | undefined, variables: readonly tf.Variable[]): GraphTrainStep {
    const backend = nativeBackend();
    const scratch = new Scratch(backend);
    const wanted = new Set(variables.map((v) => v.name));
    try {
      const state = this.forward(backend, scratch, inputValues(backend, x), x.shape, true);
      const logits = state.values[state.values.length - 1];
      const classes = this.nodes[this.nodes.length - 1].shape[0];
      const { loss, correct, gradient } = softmaxCrossEntropy(logits, state.batch, classes, labels, weights);
      const { grads } = this.backward(backend, scratch, state, gradient, wanted, false);
      return { loss, correct, grads };
    } finally {
      scratch.releaseAll();
    }
  }

  /** The model's output (logits: a final softmax is dropped) in inference mode, as a new tensor. */
  infer(x: tf.Tensor): tf.Tensor {
    const backend = nativeBackend();
    const scratch = new Scratch(backend);
    try {
      const state = this.forward(backend, scratch, inputValues(backend, x), x.shape, false, true);
      const output = scratch.handOut(state.values[state.values.length - 1]);
      return tf.engine().makeTensorFromTensorInfo(backend.output([state.batch, ...this.nodes[this.nodes.length - 1].shape], output));
    } finally {
      scratch.releaseAll();
    }
  }

  /**
   * Gradient of each row's class score (its logit, or log-softmax) with respect to the input, in inference
   * mode (gradients.ts's inputGradient), and the scores. Returns new tensors.
   */
  inputGradient(x: tf.Tensor, classes: readonly number[], logSoftmax: boolean): { gradient: tf.Tensor; scores: tf.Tensor1D } {
    const backend = nativeBackend();
    const scratch = new Scratch(backend);
    try {
      const state = this.forward(backend, scratch, inputValues(backend, x), x.shape, false);
      const logits = state.values[state.values.length - 1];
      const numClasses = this.nodes[this.nodes.length - 1].shape[0];
      const { scores, gradient } = classScores(logits, state.batch, numClasses, classes, logSoftmax);
      const { input } = this.backward(backend, scratch, state, gradient, new Set(), true);
      if (input === undefined) throw new Error('native graph: the output does not depend on the input');
      return {
        gradient: tf.engine().makeTensorFromTensorInfo(backend.output(x.shape, scratch.handOut(input))),
        scores: tf.tensor1d(scores, 'float32'),
      };
    } finally {
      scratch.releaseAll();
    }
  }

  /**
   * The forward pass. With `freeEarly` (plain inference: no backward pass follows) each intermediate buffer
   * goes back to the pool once its last consumer has run, as tfjs-layers' executor disposes intermediates;
   * otherwise every output is kept for the backward pass.
   */
  private forward(backend: NativeBackend, scratch: Scratch, x: Float32Array, xShape: number[], training: boolean, freeEarly = false): ForwardState {
    const { addon } = backend;
    const batch = xShape[0];
    const expected = this.nodes[0].shape;
    if (xShape.length !== expected.length + 1 || expected.some((d, i) => d !== xShape[i + 1])) {
      throw new Error(`native graph: input shape [${xShape.join(', ')}] does not match the model's [null, ${expected.join(', ')}]`);
    }
    const values: Float32Array[] = [];
    const statistics: ForwardState['statistics'] = [];
    const params: ForwardState['convParams'] = [];
    const folded = this.nodes.map(() => false);
    const foldedKernels: (Float32Array | undefined)[] = [];
    const summed = this.nodes.map(() => false);
    const size = (node: GraphNode): number => elementCount(batch, node.shape);
    // Per buffer, the last node that reads it (a buffer may be several nodes' output: a folded batch norm's
    // is its convolution's, a Flatten's its input's); the output is never freed.
    const lastReader = new Map<Float32Array, number>();
    for (const [k, node] of this.nodes.entries()) {
      const op = node.op;
      const input = node.inputs.length > 0 ? values[node.inputs[0]] : x;
      switch (op.kind) {
        case 'input':
          values.push(x);
          break;
        case 'conv': {
          const inShape = [batch, ...this.nodes[node.inputs[0]].shape] as [number, number, number, number];
          const kernelVariable = op.kernel.read();
          let kernel = valuesOf(backend, kernelVariable);
          let bias = op.bias === null ? null : valuesOf(backend, op.bias.read());
          let relu = op.relu;
          const norm = node.foldInto === undefined ? undefined : this.nodes[node.foldInto];
          const fold = !training && norm !== undefined && norm.op.kind === 'batchNorm' ? norm.op : undefined;
          const info = backend_util.computeConv2DInfo(inShape, kernelVariable.shape as [number, number, number, number], op.strides, op.dilations, op.padding,
            undefined, false, 'channelsLast');
          if (fold !== undefined) {
            // Fixed statistics: the batch norm (and its ReLU) becomes this convolution's weights and post-op.
            const conv: PendingConv = { kind: 'pendingConv', x: input, filter: kernel, bias, params: [], alpha: 0, outShape: info.outShape };
            const f = foldBatchNorm(backend, conv, valuesOf(backend, fold.movingMean.read()), valuesOf(backend, fold.movingVariance.read()),
              valuesOf(backend, fold.beta.read()), valuesOf(backend, fold.gamma.read()), fold.epsilon);
            kernel = f.filter;
            bias = f.bias;
            relu = fold.relu;
            folded[node.foldInto as number] = true;
          }
          // Plain inference: the residual sum after the folded batch norm accumulates into the other input's buffer.
          const sum = freeEarly && fold !== undefined && node.sumInto !== undefined && scratch.owns(values[node.sumInto.other]) ? node.sumInto : undefined;
          if (sum !== undefined) relu = (this.nodes[sum.add].op as { relu: boolean }).relu;
          const list = convParams(info, false, relu ? RELU_ACTIVATION : 0);
          if (list === undefined) throw new Error(`native graph: layer ${node.name}: padding oneDNN cannot express`);
          params[k] = list;
          const y = sum !== undefined ? values[sum.other] : scratch.take(size(node));
          addon.conv2dForward(input, kernel, bias, y, list, 0, backend.bufferId(kernel), sum !== undefined ? 1 : 0);
          if (sum !== undefined) summed[sum.add] = true;
          values.push(y);
          // The folded kernel, for the input gradient.
          foldedKernels[k] = fold !== undefined ? kernel : undefined;
          break;
        }
        case 'batchNorm': {
          if (folded[k]) {
            values.push(input);
            break;
          }
          const channels = node.shape[node.shape.length - 1];
          const useBatch = training && !isBatchNormStatisticsFrozen(op.layer);
          let mean: Float32Array;
          let variance: Float32Array;
          if (useBatch) {
            mean = new Float32Array(channels);
            variance = new Float32Array(channels);
            addon.momentsForward(input, mean, variance, [1, input.length / channels, channels]);
            updateMovingAverage(backend, op.movingMean, mean, 1 - op.momentum);
            updateMovingAverage(backend, op.movingVariance, variance, 1 - op.momentum);
          } else {
            mean = valuesOf(backend, op.movingMean.read());
            variance = valuesOf(backend, op.movingVariance.read());
          }
          statistics[k] = { mean, variance, training: useBatch };
          const y = scratch.take(size(node));
          addon.batchNormForward(input, mean, variance, valuesOf(backend, op.beta.read()), valuesOf(backend, op.gamma.read()), y, channels,
            op.epsilon, op.relu ? 1 : 0);
          values.push(y);
          break;
        }
        case 'relu': {
          const y = scratch.take(size(node));
          addon.unary(RELU_UNARY_OP, input, y, 0);
          values.push(y);
          break;
        }
        case 'add': {
          if (summed[k]) {
            values.push(values[node.inputs[0]]); // computed by the convolution (sumInto): both inputs are that buffer
            break;
          }
          const shape = [size(node)];
          let sum = values[node.inputs[0]];
          for (let i = 1; i < node.inputs.length; i++) {
            const out = scratch.take(size(node));
            const last = i === node.inputs.length - 1;
            addon.binary(last && op.relu ? ADD_RELU_OP : BINARY_OPS.Add, sum, shape, values[node.inputs[i]], shape, out, null);
            sum = out;
          }
          values.push(sum);
          break;
        }
        case 'pool': {
          const info = poolInfoOf(op, [batch, ...this.nodes[node.inputs[0]].shape]);
          const y = scratch.take(size(node));
          addon.poolForward(op.max ? MAX_POOL : AVERAGE_POOL, input, y, poolParams(info));
          values.push(y);
          break;
        }
        case 'flatten':
          values.push(input); // row-major NHWC data is already flat per image
          break;
        case 'zeroPad': {
          const y = scratch.take(size(node));
          y.fill(0);
          copyWindow(input, this.nodes[node.inputs[0]].shape, y, node.shape, batch, op.top, op.left, 'into');
          values.push(y);
          break;
        }
        case 'globalAveragePool': {
          const inShape = this.nodes[node.inputs[0]].shape;
          const channels = inShape[2];
          const y = scratch.take(size(node));
          addon.reduce(MEAN_REDUCE_OP, input, y, [batch, inShape[0] * inShape[1], channels]);
          values.push(y);
          break;
        }
        case 'dense': {
          const kernelShape = op.kernel.read().shape as [number, number];
          const y = scratch.take(size(node));
          addon.matMul(input, valuesOf(backend, op.kernel.read()), op.bias === null ? null : valuesOf(backend, op.bias.read()), y,
            [1, 1, batch, kernelShape[0], kernelShape[1], 0, 0, op.relu ? RELU_ACTIVATION : 0], 0);
          values.push(y);
          break;
        }
      }
      if (freeEarly) {
        const out = values[k];
        lastReader.set(out, Math.max(lastReader.get(out) ?? -1, k === this.nodes.length - 1 ? Infinity : this.lastReaders[k]));
        for (const j of node.inputs) {
          const buffer = values[j];
          if (lastReader.get(buffer) === k) scratch.release(buffer);
        }
      }
    }
    return { batch, values, statistics, folded, convParams: params, foldedKernels };
  }

  /**
   * Back-propagates `outputGradient` (d loss / d output): the gradients of the `wanted` variables, as tensors,
   * and with `wantInput` the input's gradient (a buffer of `scratch` or `outputGradient`: hand it out with `scratch.handOut`).
   */
  private backward(
    backend: NativeBackend, scratch: Scratch, state: ForwardState, outputGradient: Float32Array, wanted: Set<string>, wantInput: boolean,
  ): { grads: tf.NamedTensorMap; input?: Float32Array } {
    const { addon } = backend;
    const { batch, values } = state;
    const nodes = this.nodes;
    // Which nodes lead (backwards) to something that needs a gradient: a wanted variable of their own or upstream.
    const needs = nodes.map(() => false);
    nodes.forEach((node, i) => {
      needs[i] = (wantInput && node.op.kind === 'input') || variablesOf(node.op).some((v) => wanted.has(v.read().name)) || node.inputs.some((j) => needs[j]);
    });
    const grads: tf.NamedTensorMap = {};
    let input: Float32Array | undefined;
    const gradients: (Float32Array | undefined)[] = nodes.map(() => undefined);
    gradients[nodes.length - 1] = outputGradient;
    const size = (i: number): number => elementCount(batch, nodes[i].shape);
    const accumulate = (j: number, g: Float32Array): void => {
      if (!needs[j]) return;
      const current = gradients[j];
      if (current === undefined) {
        gradients[j] = g; // shared, never written in place
        return;
      }
      const sum = scratch.take(g.length);
      addon.binary(BINARY_OPS.Add, current, [g.length], g, [g.length], sum, null);
      gradients[j] = sum;
    };
    const emit = (variable: LayerVariable | null, values: Float32Array): void => {
      if (variable === null) return;
      const v = variable.read();
      if (!wanted.has(v.name)) return;
      grads[v.name] = tf.engine().makeTensorFromTensorInfo(backend.output(v.shape, scratch.handOut(values)));
    };
    const wants = (variable: LayerVariable | null): boolean => variable !== null && wanted.has(variable.read().name);
    const masked = (dy: Float32Array, i: number): Float32Array => {
      const g = scratch.take(dy.length);
      addon.binary(MASK_POSITIVE_OP, dy, [dy.length], values[i], [dy.length], g, null);
      return g;
    };

    for (let i = nodes.length - 1; i >= 0; i--) {
      const dy = gradients[i];
      const node = nodes[i];
      if (dy === undefined || !needs[i]) continue;
      const op = node.op;
      const j = node.inputs[0];
      switch (op.kind) {
        case 'input':
          input = dy;
          break;
        case 'relu':
          accumulate(j, masked(dy, i));
          break;
        case 'add': {
          const g = op.relu ? masked(dy, i) : dy;
          for (const k of node.inputs) accumulate(k, g);
          break;
        }
        case 'pool': {
          const info = poolInfoOf(op, [batch, ...nodes[j].shape]);
          const dx = scratch.take(size(j));
          addon.poolBackward(op.max ? MAX_POOL : AVERAGE_POOL, op.max ? values[j] : null, dy, dx, poolParams(info));
          accumulate(j, dx);
          break;
        }
        case 'flatten':
          accumulate(j, dy);
          break;
        case 'zeroPad': {
          const dx = scratch.take(size(j));
          copyWindow(dx, nodes[j].shape, dy, node.shape, batch, op.top, op.left, 'from');
          accumulate(j, dx);
          break;
        }
        case 'globalAveragePool': {
          const inShape = nodes[j].shape;
          const area = inShape[0] * inShape[1];
          const channels = inShape[2];
          if (!needs[j]) break;
          const dx = scratch.take(size(j));
          addon.binary(BINARY_OPS.Multiply, dy, [batch, 1, channels], Float32Array.of(1 / area), [1], dx, [batch, area, channels]);
          accumulate(j, dx);
          break;
        }
        case 'dense': {
          const [inputs, units] = op.kernel.read().shape as [number, number];
          const g = op.relu ? masked(dy, i) : dy;
          if (wants(op.kernel)) {
            const dw = scratch.take(inputs * units);
            addon.matMul(values[j], g, null, dw, [1, 1, inputs, batch, units, 1, 0, 0], 0);
            emit(op.kernel, dw);
          }
          if (wants(op.bias)) {
            const db = scratch.take(units);
            addon.reduce(SUM_REDUCE_OP, g, db, [1, batch, units]);
            emit(op.bias, db);
          }
          if (needs[j]) {
            const dx = scratch.take(batch * inputs);
            addon.matMul(g, valuesOf(backend, op.kernel.read()), null, dx, [1, 1, batch, units, inputs, 0, 1, 0], 0);
            accumulate(j, dx);
          }
          break;
        }
        case 'conv': {
          const g = op.relu ? masked(dy, i) : dy;
          const list = state.convParams[i] as number[];
          const kernel = state.foldedKernels[i] ?? valuesOf(backend, op.kernel.read());
          if (wants(op.kernel)) {
            const dw = scratch.take(kernel.length);
            addon.conv2dBackwardFilter(values[j], g, dw, list);
            emit(op.kernel, dw);
          }
          if (wants(op.bias)) {
            const channels = node.shape[2];
            const db = scratch.take(channels);
            addon.reduce(SUM_REDUCE_OP, g, db, [1, g.length / channels, channels]);
            emit(op.bias, db);
          }
          if (needs[j]) {
            const dx = scratch.take(size(j));
            addon.conv2dBackwardInput(g, kernel, dx, list, backend.bufferId(kernel));
            accumulate(j, dx);
          }
          break;
        }
        case 'batchNorm': {
          if (state.folded[i]) {
            // Folded into the convolution before it: its gradient is that convolution's (ReLU mask applied).
            accumulate(j, op.relu ? masked(dy, i) : dy);
            break;
          }
          const channels = node.shape[node.shape.length - 1];
          const stats = state.statistics[i] as { mean: Float32Array; variance: Float32Array; training: boolean };
          const scale = valuesOf(backend, op.gamma.read());
          const perChannel = wants(op.gamma) || wants(op.beta);
          const dx = needs[j] ? scratch.take(size(j)) : null;
          const dScale = perChannel ? scratch.take(channels) : null;
          const dOffset = perChannel ? scratch.take(channels) : null;
          if (stats.training) {
            addon.batchNormTrainBackward(values[j], stats.mean, stats.variance, scale, dy, op.relu ? values[i] : null, dx, dScale, dOffset, op.epsilon);
          } else {
            // Fixed statistics: dx = dy * scale / sqrt(variance + epsilon) (the statistics' gradients are dropped).
            const g = op.relu ? masked(dy, i) : dy;
            const unused = perChannel ? [scratch.take(channels), scratch.take(channels)] : [null, null];
            addon.batchNormBackward(perChannel ? values[j] : null, stats.mean, stats.variance, scale, g, dx, unused[0], unused[1], dScale, dOffset, op.epsilon);
          }
          if (dScale !== null && dOffset !== null) {
            emit(op.gamma, dScale);
            emit(op.beta, dOffset);
          }
          if (dx !== null) accumulate(j, dx);
          break;
        }
      }
    }
    return { grads, input };
  }
}

function elementCount(batch: number, shape: number[]): number {
  return batch * shape.reduce((a, b) => a * b, 1);
}

/** The active backend, which a graph's steps run on: the native one. */
function nativeBackend(): NativeBackend {
  if (tf.getBackend() !== NATIVE_BACKEND_NAME) throw new Error(`native graph: the active backend is ${tf.getBackend()}, not ${NATIVE_BACKEND_NAME}`);
  return tf.backend() as NativeBackend;
}

function poolInfoOf(op: { poolSize: [number, number]; strides: [number, number]; padding: 'same' | 'valid' }, inShape: number[]): backend_util.Conv2DInfo {
  return backend_util.computePool2DInfo(inShape as [number, number, number, number], op.poolSize, op.strides, 1, op.padding);
}

/**
 * Copies each image of `inner` [batch, h, w, c] into (or out of, `direction` 'from') the window of `outer`
 * [batch, H, W, c] whose top-left corner is (top, left): zero padding and its gradient.
 */
function copyWindow(inner: Float32Array, innerShape: number[], outer: Float32Array, outerShape: number[], batch: number, top: number, left: number, direction: 'into' | 'from'): void {
  const [h, w, c] = innerShape;
  const [outerH, outerW] = outerShape;
  const row = w * c;
  for (let n = 0; n < batch; n++) {
    for (let y = 0; y < h; y++) {
      const at = ((n * h + y) * w) * c;
      const outerAt = ((n * outerH + y + top) * outerW + left) * c;
      if (direction === 'into') outer.set(inner.subarray(at, at + row), outerAt);
      else inner.set(outer.subarray(outerAt, outerAt + row), at);
    }
  }
}

/** Buffers of one step: pooled ones go back to the pool at the end, except those handed out as tensors. */
class Scratch {
  private readonly taken = new Set<Float32Array>();
  private readonly kept = new Set<Float32Array>();

  constructor(private readonly backend: NativeBackend) {}

  take(length: number): Float32Array {
    const buffer = this.backend.allocate(length);
    this.taken.add(buffer);
    return buffer;
  }

  /** Whether this step took `buffer` and still holds it. */
  owns(buffer: Float32Array | undefined): boolean {
    return buffer !== undefined && this.taken.has(buffer) && !this.kept.has(buffer);
  }

  /** Returns a buffer this step took to the pool now (nothing reads it any more). */
  release(buffer: Float32Array): void {
    if (!this.taken.delete(buffer)) return;
    this.backend.recycle(buffer);
  }

  /**
   * A buffer to become a tensor's data: `buffer` itself when this step took it and has not handed it out yet
   * (it is then not released), else a copy (the input's buffer, an alias, a buffer already handed out).
   */
  handOut(buffer: Float32Array): Float32Array {
    if (!this.owns(buffer)) return Float32Array.from(buffer);
    this.kept.add(buffer);
    return buffer;
  }

  releaseAll(): void {
    for (const buffer of this.taken) if (!this.kept.has(buffer)) this.backend.recycle(buffer);
    this.taken.clear();
  }
}

/** Thrown while compiling for a model the graph cannot run. */
class Unsupported extends Error {}

function variablesOf(op: Op): LayerVariable[] {
  switch (op.kind) {
    case 'conv':
    case 'dense':
      return op.bias === null ? [op.kernel] : [op.kernel, op.bias];
    case 'batchNorm':
      return [op.gamma, op.beta];
    default:
      return [];
  }
}

/** The float32 buffer of a tensor on the native backend. */
function valuesOf(backend: NativeBackend, tensor: tf.Tensor): Float32Array {
  const values = backend.floatValues(tensor);
  if (values === undefined) throw new Error(`native graph: tensor ${tensor.id} is not float32 data of the native backend`);
  return values;
}

function inputValues(backend: NativeBackend, x: tf.Tensor): Float32Array {
  if (x.dtype !== 'float32') throw new Error(`native graph: the input must be float32, got ${x.dtype}`);
  return valuesOf(backend, x);
}

/** variable <- variable - (variable - sample) * decay, as tfjs-layers updates a batch norm's moving statistics. */
function updateMovingAverage(backend: NativeBackend, variable: LayerVariable, sample: Float32Array, decay: number): void {
  const current = variable.read();
  const out = new Float32Array(sample.length);
  backend.addon.movingAverage(valuesOf(backend, current), sample, out, decay);
  const next = tf.engine().makeTensorFromTensorInfo(backend.output(current.shape, out));
  variable.write(next);
  next.dispose();
}

/**
 * Softmax cross-entropy of logits [batch, classes] against class indices, its gradient with respect to the
 * logits, and the arg-max hits: tf.losses.softmaxCrossEntropy's mean, or with weights sum(w l) / sum(w)
 * (the trainer's loss). In double precision; the gradient in float32.
 */
export function softmaxCrossEntropy(
  logits: Float32Array, batch: number, classes: number, labels: ArrayLike<number>, weights: ArrayLike<number> | undefined,
): { loss: number; correct: number; gradient: Float32Array } {
  const gradient = new Float32Array(batch * classes);
  let denominator = batch;
  if (weights !== undefined) {
    denominator = 0;
    for (let n = 0; n < batch; n++) denominator += weights[n];
    denominator = Math.max(denominator, 1e-12);
  }
  let loss = 0;
  let correct = 0;
  for (let n = 0; n < batch; n++) {
    const row = n * classes;
    const label = labels[n];
    let max = -Infinity;
    let best = 0;
    for (let k = 0; k < classes; k++) {
      const z = logits[row + k];
      if (z > max || Number.isNaN(z)) {
        max = z;
        best = k;
      }
    }
    if (best === label) correct++;
    const logSum = logSumExp(logits, row, classes);
    const w = (weights === undefined ? 1 : weights[n]) / denominator;
    loss += w * (logSum - logits[row + label]);
    for (let k = 0; k < classes; k++) {
      const p = Math.exp(logits[row + k] - logSum);
      gradient[row + k] = w * (p - (k === label ? 1 : 0));
    }
  }
  return { loss, correct, gradient };
}

/** log(sum(exp(z))) over one row of logits, shifted by its maximum. */
function logSumExp(logits: Float32Array, row: number, classes: number): number {
  let max = -Infinity;
  for (let k = 0; k < classes; k++) max = Math.max(max, logits[row + k]);
  let sum = 0;
  for (let k = 0; k < classes; k++) sum += Math.exp(logits[row + k] - max);
  return Math.log(sum) + max;
}

/**
 * Each row's class score (logit, or log-softmax) and the gradient of their sum with respect to the logits.
 */
export function classScores(
  logits: Float32Array, batch: number, classes: number, classIndex: readonly number[], logSoftmax: boolean,
): { scores: Float32Array; gradient: Float32Array } {
  const scores = new Float32Array(batch);
  const gradient = new Float32Array(batch * classes);
  for (let n = 0; n < batch; n++) {
    const row = n * classes;
    const c = classIndex[n];
    if (!logSoftmax) {
      scores[n] = logits[row + c];
      gradient[row + c] = 1;
      continue;
    }
    const logSum = logSumExp(logits, row, classes);
    scores[n] = logits[row + c] - logSum;
    for (let k = 0; k < classes; k++) gradient[row + k] = (k === c ? 1 : 0) - Math.exp(logits[row + k] - logSum);
  }
  return { scores, gradient };
}

/** The layer that produced a symbolic tensor and the node of it that did. */
function producer(t: tfl.SymbolicTensor): { layer: tfl.layers.Layer; nodeIndex: number } {
  return { layer: t.sourceLayer as tfl.layers.Layer, nodeIndex: t.nodeIndex };
}

function activationOf(layer: tfl.layers.Layer): string {
  const a = (layer.getConfig() as { activation?: unknown }).activation;
  return typeof a === 'string' ? a : 'linear';
}

function reluFlag(layer: tfl.layers.Layer, allowSoftmax = false): boolean {
  const activation = activationOf(layer);
  if (activation === 'relu') return true;
  if (activation === 'linear' || (allowSoftmax && activation === 'softmax')) return false;
  throw new Unsupported(`layer ${layer.name} has activation ${activation}`);
}

function pair(value: unknown, name: string, layer: tfl.layers.Layer): [number, number] {
  const v = Array.isArray(value) ? value : [value, value];
  if (v.length !== 2 || !v.every((d) => Number.isInteger(d))) throw new Unsupported(`layer ${layer.name}: ${name} ${JSON.stringify(value)}`);
  return [v[0] as number, v[1] as number];
}

/**
 * The model's nodes in topological order, the output last: the logits (a final softmax, a layer of its own or
 * the last Dense's activation, is left out; `dropsSoftmax` says whether there was one).
 */
function buildNodes(model: tfl.LayersModel): { nodes: GraphNode[]; dropsSoftmax: boolean } {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new Unsupported('the model must have one input and one output');
  let output = model.outputs[0];
  let outputLayer = producer(output).layer;
  const outputClass = outputLayer.getClassName();
  const softmaxLayer = (outputClass === 'Activation' && activationOf(outputLayer) === 'softmax') || outputClass === 'Softmax';
  if (softmaxLayer) {
    output = outputLayer.inboundNodes[producer(output).nodeIndex].inputTensors[0];
    outputLayer = producer(output).layer;
  }
  const nodes: GraphNode[] = [];
  const index = new Map<string, number>();
  const visit = (t: tfl.SymbolicTensor): number => {
    const { layer, nodeIndex } = producer(t);
    const key = `${layer.name}#${nodeIndex}`;
    const known = index.get(key);
    if (known !== undefined) return known;
    const inbound = layer.inboundNodes[nodeIndex];
    const inputs = layer.getClassName() === 'InputLayer' ? [] : inbound.inputTensors.map((input) => visit(input));
    const shape = t.shape.slice(1);
    if (shape.some((d) => d === null)) throw new Unsupported(`layer ${layer.name} has an undefined output size`);
    const op = opOf(layer, inputs.map((i) => nodes[i]), layer === outputLayer);
    nodes.push({ name: layer.name, op, inputs, shape: shape as number[] });
    index.set(key, nodes.length - 1);
    return nodes.length - 1;
  };
  visit(output);
  if (nodes[0].op.kind !== 'input' || nodes.filter((n) => n.op.kind === 'input').length !== 1) throw new Unsupported('the model must have one input layer');
  return { nodes, dropsSoftmax: softmaxLayer || (outputLayer.getClassName() === 'Dense' && activationOf(outputLayer) === 'softmax') };
}

function opOf(layer: tfl.layers.Layer, inputs: GraphNode[], isOutput: boolean): Op {
  const config = layer.getConfig() as Record<string, unknown>;
  const fields = layer as unknown as Record<string, LayerVariable | null | undefined>;
  const className = layer.getClassName();
  const channelsLast = (): void => {
    if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') throw new Unsupported(`layer ${layer.name}: channels-first data`);
  };
  const rank4 = (): void => {
    if (inputs.length !== 1 || inputs[0].shape.length !== 3) throw new Unsupported(`layer ${layer.name} (${className}) needs one [height, width, channels] input`);
  };
  switch (className) {
    case 'InputLayer':
      return { kind: 'input' };
    case 'Conv2D': {
      rank4();
      channelsLast();
      if (config.padding !== 'same' && config.padding !== 'valid') throw new Unsupported(`layer ${layer.name}: padding ${String(config.padding)}`);
      const kernel = fields.kernel;
      if (!kernel) throw new Unsupported(`layer ${layer.name} is not built`);
      // tfjs has no gradient for dilated convolutions: such models are left to it, in inference too.
      const dilations = pair(config.dilationRate ?? 1, 'dilation', layer);
      if (dilations[0] !== 1 || dilations[1] !== 1) throw new Unsupported(`layer ${layer.name}: dilated convolution`);
      return {
        kind: 'conv', kernel, bias: fields.bias ?? null, strides: pair(config.strides, 'strides', layer),
        dilations, padding: config.padding, relu: reluFlag(layer),
      };
    }
    case 'BatchNormalization': {
      if (inputs.length !== 1) throw new Unsupported(`layer ${layer.name} needs one input`);
      const rank = inputs[0].shape.length + 1;
      const axis = config.axis as number;
      if ((axis >= 0 ? axis : axis + rank) !== rank - 1) throw new Unsupported(`layer ${layer.name}: batch norm over axis ${axis}, not the channels`);
      const movingMean = fields.movingMean;
      const movingVariance = fields.movingVariance;
      if (!movingMean || !movingVariance) throw new Unsupported(`layer ${layer.name} is not built`);
      // tfjs-layers cannot train a batch norm without both (it reads them unconditionally): left to it.
      if (!fields.gamma || !fields.beta) throw new Unsupported(`layer ${layer.name}: batch norm without scale or offset`);
      return {
        kind: 'batchNorm', layer, gamma: fields.gamma, beta: fields.beta, movingMean, movingVariance,
        epsilon: config.epsilon as number, momentum: config.momentum as number, relu: false,
      };
    }
    case 'Activation': {
      const activation = activationOf(layer);
      if (activation === 'relu') return { kind: 'relu' };
      throw new Unsupported(`layer ${layer.name} has activation ${activation}`);
    }
    case 'ReLU':
      if (config.maxValue !== null && config.maxValue !== undefined) throw new Unsupported(`layer ${layer.name}: ReLU with maxValue`);
      return { kind: 'relu' };
    case 'Add': {
      const shape = JSON.stringify(inputs[0]?.shape);
      if (inputs.length < 2 || inputs.some((n) => JSON.stringify(n.shape) !== shape)) throw new Unsupported(`layer ${layer.name}: Add of differently shaped inputs`);
      return { kind: 'add', relu: false };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      rank4();
      channelsLast();
      if (config.padding !== 'same' && config.padding !== 'valid') throw new Unsupported(`layer ${layer.name}: padding ${String(config.padding)}`);
      const poolSize = pair(config.poolSize, 'pool size', layer);
      return { kind: 'pool', max: className === 'MaxPooling2D', poolSize, strides: pair(config.strides ?? poolSize, 'strides', layer), padding: config.padding };
    }
    case 'ZeroPadding2D': {
      rank4();
      channelsLast();
      const padding = config.padding as [[number, number], [number, number]];
      return { kind: 'zeroPad', top: padding[0][0], bottom: padding[0][1], left: padding[1][0], right: padding[1][1] };
    }
    case 'Flatten':
      channelsLast();
      if (inputs.length !== 1) throw new Unsupported(`layer ${layer.name} needs one input`);
      return { kind: 'flatten' };
    case 'GlobalAveragePooling2D':
      rank4();
      channelsLast();
      if (config.keepDims === true) throw new Unsupported(`layer ${layer.name}: keepDims`);
      return { kind: 'globalAveragePool' };
    case 'Dense': {
      if (inputs.length !== 1 || inputs[0].shape.length !== 1) throw new Unsupported(`layer ${layer.name}: Dense needs a flat input`);
      const kernel = fields.kernel;
      if (!kernel) throw new Unsupported(`layer ${layer.name} is not built`);
      // A final softmax is dropped: the graph gives logits, as logits() does.
      return { kind: 'dense', kernel, bias: fields.bias ?? null, relu: reluFlag(layer, isOutput) };
    }
    default:
      throw new Unsupported(`layer ${layer.name} (${className}) has no native graph implementation`);
  }
}

/**
 * Marks convs whose folded batch norm feeds a two-input Add as `sumInto` it, where nothing after the conv
 * but that Add reads the Add's other input (through any node sharing its buffer: a folded batch norm's
 * conv, a Flatten's input), so that buffer may be overwritten. The graph's input is never overwritten.
 */
function markResidualSums(nodes: GraphNode[]): void {
  const consumers = consumersOf(nodes);
  // The node whose buffer each node's output is (in inference, where batch norms fold).
  const root = nodes.map((_, i) => i);
  nodes.forEach((node, i) => {
    if (node.op.kind === 'flatten') root[i] = root[node.inputs[0]];
    if (node.op.kind === 'batchNorm' && nodes[node.inputs[0]].foldInto === i) root[i] = root[node.inputs[0]];
  });
  const readers = (i: number): number[] => nodes.flatMap((_, k) => (root[k] === root[i] ? consumers[k] : []));
  nodes.forEach((add, a) => {
    if (add.op.kind !== 'add' || add.inputs.length !== 2 || add.inputs[0] === add.inputs[1]) return;
    for (const [q, p] of [[add.inputs[1], add.inputs[0]], [add.inputs[0], add.inputs[1]]]) {
      const norm = nodes[q];
      const c = norm.inputs[0];
      if (norm.op.kind !== 'batchNorm' || norm.op.relu || nodes[c]?.foldInto !== q || consumers[q].length !== 1) continue;
      if (nodes[root[p]].op.kind === 'input' || root[p] > c || readers(p).some((k) => k >= c && k !== a)) continue;
      nodes[c].sumInto = { add: a, other: p };
      return;
    }
  });
}

/** Per node, the indices of the nodes reading its output. */
function consumersOf(nodes: GraphNode[]): number[][] {
  const consumers = nodes.map(() => [] as number[]);
  nodes.forEach((node, i) => node.inputs.forEach((j) => consumers[j].push(i)));
  return consumers;
}

/** Marks each conv without a ReLU of its own whose only consumer is a batch norm (folded there in inference). */
function markFolds(nodes: GraphNode[]): void {
  const consumers = consumersOf(nodes);
  nodes.forEach((node, j) => {
    const only = consumers[j].length === 1 ? consumers[j][0] : undefined;
    if (node.op.kind === 'conv' && !node.op.relu && only !== undefined && nodes[only].op.kind === 'batchNorm') node.foldInto = only;
  });
}

/** Merges each ReLU into the conv, batch norm or sum before it when it is that node's only consumer. */
function fuseRelus(nodes: GraphNode[]): void {
  const consumers = consumersOf(nodes);
  // A fused ReLU's node becomes an alias of its input, whose output is now rectified.
  const aliasOf = new Map<number, number>();
  nodes.forEach((node, i) => {
    if (node.op.kind !== 'relu' || i === nodes.length - 1) return;
    const j = node.inputs[0];
    const source = nodes[j].op;
    if (consumers[j].length !== 1 || !(source.kind === 'batchNorm' || source.kind === 'add' || source.kind === 'conv') || source.relu) return;
    source.relu = true;
    aliasOf.set(i, j);
  });
  const renumber = new Map<number, number>();
  const kept: GraphNode[] = [];
  nodes.forEach((node, i) => {
    const alias = aliasOf.get(i);
    if (alias !== undefined) {
      renumber.set(i, renumber.get(alias) as number);
      return;
    }
    renumber.set(i, kept.length);
    kept.push({ ...node, inputs: node.inputs.map((k) => renumber.get(k) as number) });
  });
  nodes.splice(0, nodes.length, ...kept);
}

/** Set to `off`, training runs every op through tfjs on the native backend too (for comparisons). */
export const NATIVE_GRAPH_ENV = 'BIAS_AUDIT_NATIVE_GRAPH';

const compiled = new WeakMap<tfl.LayersModel, NativeGraph | { unsupported: string }>();

/** The compiled graph of a model (cached), or undefined when the native backend is not active or the model has a layer it cannot run. */
export function nativeGraphOf(model: tfl.LayersModel): NativeGraph | undefined {
  if (tf.getBackend() !== NATIVE_BACKEND_NAME || process.env[NATIVE_GRAPH_ENV] === 'off') return undefined;
  let graph = compiled.get(model);
  if (graph === undefined) {
    graph = NativeGraph.compile(model);
    compiled.set(model, graph);
  }
  return graph instanceof NativeGraph ? graph : undefined;
}

/**
 * The graph to run `model` on input `x` with now, or undefined: when `nativeGraphOf` gives none, `x` is not
 * float32, or tfjs is recording gradients (the caller's tape must see tfjs ops).
 */
export function nativeGraphFor(model: tfl.LayersModel, x: tf.Tensor): NativeGraph | undefined {
  return x.dtype !== 'float32' || recordingGradients() ? undefined : nativeGraphOf(model);
}

/** Why `nativeGraphOf` refuses a model (undefined when it takes it). */
export function nativeGraphRefusal(model: tfl.LayersModel): string | undefined {
  const graph = NativeGraph.compile(model);
  return graph instanceof NativeGraph ? undefined : graph.unsupported;
}
