// NativeSgdUpdate: one step of SGD with momentum (and L2 weight decay, optionally Nesterov) for one variable
// in a single pass over its values, velocity and gradient (native/src/elementwise.cc). The project's
// optimizer (src/engine/train/optimizer.ts) composes the same step from four to six full-size tfjs ops; on a
// ResNet-18 those passes over 11M parameters are a sizeable part of a training step's element-wise work.
import { type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { NATIVE_BACKEND_NAME, type NativeBackend } from './native-backend';

/**
 * Kernel name (registered for the native backend only). Inputs value, grad and optional velocity; attrs lr,
 * momentum, weightDecay, nesterov; outputs [newValue] or, with a velocity, [newValue, newVelocity].
 */
export const NATIVE_SGD_UPDATE = 'NativeSgdUpdate';

const sgdUpdate: KernelFunc = (args) => {
  const backend = args.backend as NativeBackend;
  const { value, velocity, grad } = args.inputs as Record<string, TensorInfo | undefined>;
  if (value === undefined || grad === undefined) throw new Error(`${NATIVE_SGD_UPDATE}: value and grad are required`);
  const valueData = backend.floatValues(value);
  const gradData = backend.floatValues(grad);
  const velocityData = velocity === undefined ? null : backend.floatValues(velocity);
  if (valueData === undefined || gradData === undefined || velocityData === undefined) {
    throw new Error(`${NATIVE_SGD_UPDATE}: float32 inputs required`);
  }
  const attrs = args.attrs ?? {};
  const newValue = backend.allocate(valueData.length);
  const newVelocity = velocityData === null ? null : backend.allocate(valueData.length);
  backend.addon.sgdUpdate(valueData, velocityData, gradData, newValue, newVelocity, attrs.lr as number, attrs.momentum as number,
    attrs.weightDecay as number, attrs.nesterov === true ? 1 : 0);
  const outputs = [backend.output(value.shape, newValue)];
  if (newVelocity !== null) outputs.push(backend.output(value.shape, newVelocity));
  return outputs;
};

/**
 * Kernel name (native backend only): inputs value and sample, attr decay; output value - (value - sample) *
 * decay, the moving-average update of a batch norm's statistics (native-batchnorm-layer.ts). No gradient.
 */
export const NATIVE_MOVING_AVERAGE = 'NativeMovingAverage';

const movingAverage: KernelFunc = (args) => {
  const backend = args.backend as NativeBackend;
  const { value, sample } = args.inputs as Record<string, TensorInfo | undefined>;
  const valueData = value === undefined ? undefined : backend.floatValues(value);
  const sampleData = sample === undefined ? undefined : backend.floatValues(sample);
  if (value === undefined || valueData === undefined || sampleData === undefined) {
    throw new Error(`${NATIVE_MOVING_AVERAGE}: float32 value and sample required`);
  }
  const out = backend.allocate(valueData.length);
  backend.addon.movingAverage(valueData, sampleData, out, args.attrs?.decay as number);
  return backend.output(value.shape, out);
};

/** Kernel configs of the optimizer steps and statistics updates. */
export function optimizerKernelConfigs(): KernelConfig[] {
  return [
    { kernelName: NATIVE_SGD_UPDATE, backendName: NATIVE_BACKEND_NAME, kernelFunc: sgdUpdate },
    { kernelName: NATIVE_MOVING_AVERAGE, backendName: NATIVE_BACKEND_NAME, kernelFunc: movingAverage },
  ];
}
