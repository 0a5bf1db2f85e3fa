// tfjs-layers' BatchNormalization in training, with fewer dispatches on the native backend. In training the
// layer updates its moving mean and variance with three recorded tfjs ops each (sub, mul, sub, every one on
// the gradient tape, the mul saving both inputs for a gradient nobody takes): on the small ResNet those
// updates are about a fifth of a training step's kernel dispatches, and per-op JavaScript is what that
// network's step is made of (README: Speed). Here each update is one NativeMovingAverage kernel (the same
// float32 steps), and the normalisation is what tfjs-layers runs: tf.moments over every axis but the last,
// then FusedBatchNorm. Anything else (another backend, inference, a channel axis that is not last, no beta
// or gamma, rank outside 2-4, non-float data) runs tfjs-layers' own call.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { NATIVE_BACKEND_NAME } from './native-backend';
import { NATIVE_MOVING_AVERAGE } from './native-kernels-optimizer';

/** The parts of tfjs-layers' BatchNormalization (4.x) this uses. */
interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: LayerVariable | null;
  beta: LayerVariable | null;
  movingMean: LayerVariable;
  movingVariance: LayerVariable;
}

interface LayerVariable {
  read(): tf.Tensor;
  write(value: tf.Tensor): unknown;
}

type Call = (this: BatchNormLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

const MARK = Symbol('nativeBatchNormCall');

function onlyTensor(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | undefined {
  if (!Array.isArray(inputs)) return inputs;
  return inputs.length === 1 ? inputs[0] : undefined;
}

function movingAverage(variable: LayerVariable, sample: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const decay = 1 - momentum;
    variable.write(tf.engine().runKernel(NATIVE_MOVING_AVERAGE, { value: variable.read(), sample }, { decay }) as tf.Tensor);
  });
}

function nativeCall(original: Call): Call {
  return function call(this: BatchNormLayer, inputs, kwargs) {
    const input = onlyTensor(inputs);
    const training = kwargs?.training === true;
    if (!training || tf.getBackend() !== NATIVE_BACKEND_NAME || input === undefined || input.dtype !== 'float32'
      || input.rank < 2 || input.rank > 4 || this.gamma === null || this.beta === null
      || (this.axis >= 0 ? this.axis : this.axis + input.rank) !== input.rank - 1) {
      return original.call(this, inputs, kwargs);
    }
    const gamma = this.gamma;
    const beta = this.beta;
    return tf.tidy(() => {
      const axes = Array.from({ length: input.rank - 1 }, (_, i) => i);
      const { mean, variance } = tf.moments(input, axes);
      const normed = tf.batchNorm(input, mean, variance, beta.read(), gamma.read(), this.epsilon);
      movingAverage(this.movingMean, mean, this.momentum);
      movingAverage(this.movingVariance, variance, this.momentum);
      return normed;
    });
  };
}

/** Routes tfjs-layers' BatchNormalization.call through `nativeCall` (a no-op when already installed). */
export function installNativeBatchNormLayer(): void {
  const prototype = Object.getPrototypeOf(tfl.layers.batchNormalization({})) as { call: Call & { [MARK]?: boolean } };
  if (prototype.call[MARK] === true) return;
  prototype.call = Object.assign(nativeCall(prototype.call), { [MARK]: true });
}
