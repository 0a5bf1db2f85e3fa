// Whole-model check: a ResNet-18 (the project's builder, CIFAR form, narrow so the cpu reference stays quick)
// gives the same training gradients, input gradients and logits on `native` as on `cpu`.
//
// Tolerance policy. With ReLU, a pre-activation within rounding of zero can switch side between backends
// (both are right); that changes a few gradient entries by a lot (measured up to a few % of the largest),
// so the ReLU model is compared by the norm of the difference relative to the norm of the cpu gradient. The
// same topology with tanh (smooth: no switching) is compared element-wise with a tight bound, which is where
// a real kernel bug would show.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { strict as assert } from 'node:assert';
import { buildResNet18 } from '../../../src/engine/model/builders/resnet';
import { normRelativeError, randomValues, relativeError, spyOnAddon, useNativeBackendInSuite } from './native-test-kit';

const INPUT_SHAPE: [number, number, number] = [16, 16, 3];
const BATCH = 2;
const CLASSES = 10;
const LABELS = [3, 7];

async function buildModel(activation: 'relu' | 'tanh'): Promise<tfl.LayersModel> {
  const model = buildResNet18({ inputShape: INPUT_SHAPE, numClasses: CLASSES, seed: 11, width: 16 });
  if (activation === 'relu') return model;
  // Same topology and seeded initialisers, every ReLU swapped for tanh.
  const json = JSON.stringify(model.toJSON(null, false)).replaceAll('"activation":"relu"', '"activation":"tanh"');
  model.dispose();
  return tfl.models.modelFromJSON({ modelTopology: JSON.parse(json) as tf.io.ModelJSON['modelTopology'] });
}

interface ModelOutputs {
  names: string[];
  /** Trainable-weight gradients (training mode), then the input gradient, then the logits (inference). */
  values: Float32Array[];
}

async function modelOutputs(backend: 'cpu' | 'native', activation: 'relu' | 'tanh', xValues: Float32Array): Promise<ModelOutputs> {
  await tf.setBackend(backend);
  const model = await buildModel(activation);
  try {
    const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const before = tf.memory().numTensors;
    const values = tf.tidy(() => {
      const x = tf.tensor4d(xValues, [BATCH, ...INPUT_SHAPE]);
      const y = tf.oneHot(tf.tensor1d(LABELS, 'int32'), CLASSES);
      const loss = (): tf.Scalar => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar;
      const { grads } = tf.variableGrads(loss, weights);
      const inputGradient = tf.grad((input: tf.Tensor) =>
        tf.sum(tf.slice(model.apply(input, { training: false }) as tf.Tensor2D, [0, 3], [BATCH, 1])))(x);
      const logits = model.apply(x, { training: false }) as tf.Tensor;
      return [...weights.map((w) => grads[w.name]), inputGradient, logits].map((t) => Float32Array.from(t.dataSync()));
    });
    assert.equal(tf.memory().numTensors, before, `tensor leak on ${backend}`);
    return { names: [...weights.map((w) => w.name), 'input gradient', 'logits'], values };
  } finally {
    model.dispose();
  }
}

describe('native backend: whole ResNet-18 against cpu', function () {
  this.timeout(600_000);
  useNativeBackendInSuite();

  const xValues = randomValues([BATCH, ...INPUT_SHAPE], 5);

  it('tanh ResNet-18: every weight gradient, the input gradient and the logits match cpu element-wise', async () => {
    const expected = await modelOutputs('cpu', 'tanh', xValues);
    const actual = await modelOutputs('native', 'tanh', xValues);
    for (let i = 0; i < expected.values.length; i++) {
      const error = relativeError(actual.values[i], expected.values[i]);
      if (process.env.NATIVE_TEST_VERBOSE) console.error(expected.names[i], error);
      assert.ok(error <= 2e-4, `${expected.names[i]}: relative error ${error.toExponential(2)}`);
    }
  });

  it('ReLU ResNet-18: every gradient matches cpu in norm (see the tolerance policy above), logits element-wise', async () => {
    const expected = await modelOutputs('cpu', 'relu', xValues);
    await tf.setBackend('native');
    const spy = spyOnAddon();
    let actual: ModelOutputs;
    try {
      actual = await modelOutputs('native', 'relu', xValues);
    } finally {
      spy.restore();
    }
    // The heavy kernels ran natively, including the fused batch-norm statistics and gradients.
    for (const name of ['conv2dForward', 'conv2dBackwardInput', 'conv2dBackwardFilter', 'batchNormForward', 'batchNormBackward', 'momentsForward',
      'momentsBackward', 'matMul', 'binary', 'reduce']) {
      assert.ok(spy.calls.has(name), `native ${name} did not run`);
    }
    const logitsIndex = expected.values.length - 1;
    assert.ok(relativeError(actual.values[logitsIndex], expected.values[logitsIndex]) <= 1e-4, 'logits differ');
    for (let i = 0; i < logitsIndex; i++) {
      const error = normRelativeError(actual.values[i], expected.values[i]);
      if (process.env.NATIVE_TEST_VERBOSE) console.error(expected.names[i], error, relativeError(actual.values[i], expected.values[i]));
      assert.ok(error <= 1e-3, `${expected.names[i]}: norm-relative error ${error.toExponential(2)}`);
    }
  });
});
