// A whole small ResNet (Conv2D + BatchNorm in training mode + activation + max pool + residual blocks with a
// strided 1x1 shortcut + average pool + global average pool + dense + softmax cross-entropy), built with
// tfjs-layers as the engine builds models: every weight gradient and the input gradient on wasm against the
// cpu backend, and the input gradient against finite differences.
//
// Tolerance policy. With a smooth activation (tanh) the two backends differ only by float32 rounding, so
// every gradient must agree to 1e-4 relative to its largest entry. With ReLU a pre-activation within
// rounding of zero can switch on one backend and not the other (identical whichever gradient kernels run),
// so the ReLU model is compared as whole vectors: relative L2 distance below 1e-3 per weight tensor
// (measured: about 3e-6 for these seeds, where no unit switched; 1e-5 for tanh).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { strict as assert } from 'node:assert';
import { finiteDifferenceError, type InputSpec, randomInput, relativeError, useBackend } from '../helpers/tf';
import { Random } from '../../../src/engine/util/random';

type Activation = 'tanh' | 'relu';

function residualBlock(x: tfl.SymbolicTensor, filters: number, stride: number, activation: Activation, name: string): tfl.SymbolicTensor {
  let y = tfl.layers.conv2d({ filters, kernelSize: 3, strides: stride, padding: 'same', useBias: false, name: `${name}_conv1` }).apply(x) as tfl.SymbolicTensor;
  y = tfl.layers.batchNormalization({ name: `${name}_bn1` }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.activation({ activation }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, name: `${name}_conv2` }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.batchNormalization({ name: `${name}_bn2` }).apply(y) as tfl.SymbolicTensor;
  let shortcut = x;
  if (stride !== 1 || x.shape[3] !== filters) {
    shortcut = tfl.layers.conv2d({ filters, kernelSize: 1, strides: stride, useBias: false, name: `${name}_shortcut` }).apply(x) as tfl.SymbolicTensor;
    shortcut = tfl.layers.batchNormalization({ name: `${name}_shortcut_bn` }).apply(shortcut) as tfl.SymbolicTensor;
  }
  const sum = tfl.layers.add().apply([y, shortcut]) as tfl.SymbolicTensor;
  return tfl.layers.activation({ activation }).apply(sum) as tfl.SymbolicTensor;
}

function buildSmallResNet(activation: Activation): tfl.LayersModel {
  const input = tfl.input({ shape: [11, 11, 3] });
  let x = tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false, name: 'stem' }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ name: 'stem_bn' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.activation({ activation }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as tfl.SymbolicTensor;
  x = residualBlock(x, 6, 1, activation, 'block1');
  x = residualBlock(x, 8, 2, activation, 'block2');
  // 'valid': under 'same' the cpu backend's own AvgPoolGrad mis-scales border windows (see the pool tests).
  x = tfl.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'valid' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ units: 4, name: 'head' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits });
}

/** Seeded values for every weight of the model (the same on each backend). */
function seededWeights(model: tfl.LayersModel, seed: number): InputSpec[] {
  const random = new Random(seed);
  return model.getWeights().map((w) => {
    const size = w.size;
    const values = new Float32Array(size);
    const scale = w.shape.length === 4 ? Math.sqrt(2 / (w.shape[0] * w.shape[1] * w.shape[2])) : 0.3;
    for (let i = 0; i < size; i++) values[i] = w.shape.length === 1 ? 1 + 0.2 * random.normal() : scale * random.normal();
    return { shape: w.shape, values };
  });
}

const batchSize = 4;
const labels = [0, 3, 1, 2];

/** Gradients of the training loss with respect to every trainable weight and the input, on `backend`. */
async function modelGradients(backend: 'wasm' | 'cpu', activation: Activation, images: InputSpec, weightSeed: number): Promise<{ names: string[]; values: Float32Array[] }> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const model = buildSmallResNet(activation);
  const weights = seededWeights(model, weightSeed).map((w) => tf.tensor(w.values, w.shape));
  model.setWeights(weights);
  tf.dispose(weights);
  const initial = tf.tensor(images.values, images.shape);
  const input = tf.variable(initial, true, `images_${backend}_${activation}_${weightSeed}`);
  initial.dispose();
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.apply(input, { training: true }) as tf.Tensor;
    return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 4), logits);
  }, [...trainable, input]);
  const names = [...model.trainableWeights.map((w) => w.originalName), 'input'];
  const values = [...trainable, input].map((v) => Float32Array.from(grads[v.name].dataSync()));
  tf.dispose([value, ...Object.values(grads), input]);
  model.dispose();
  assert.equal(tf.memory().numTensors, before, `tensor leak on ${backend}`);
  return { names, values };
}

function relativeL2(actual: Float32Array, expected: Float32Array): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff += (actual[i] - expected[i]) ** 2;
    norm += expected[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}

describe('small ResNet gradients on wasm', function () {
  this.timeout(300_000);
  const images = randomInput([batchSize, 11, 11, 3], 77);

  before(async () => {
    await useBackend('wasm');
  });
  after(async () => {
    await tf.setBackend('wasm');
  });

  for (const weightSeed of [1, 2, 3]) {
    it(`smooth (tanh) model, weight seed ${weightSeed}: every gradient matches the cpu backend to 1e-4`, async () => {
      const wasm = await modelGradients('wasm', 'tanh', images, weightSeed);
      const cpu = await modelGradients('cpu', 'tanh', images, weightSeed);
      wasm.values.forEach((values, i) => {
        const error = relativeError(values, cpu.values[i]);
        assert.ok(error < 1e-4, `${wasm.names[i]}: error ${error}`);
      });
    });

    it(`ReLU model, weight seed ${weightSeed}: every gradient within 1e-3 relative L2 of the cpu backend`, async () => {
      const wasm = await modelGradients('wasm', 'relu', images, weightSeed);
      const cpu = await modelGradients('cpu', 'relu', images, weightSeed);
      wasm.values.forEach((values, i) => {
        const error = relativeL2(values, cpu.values[i]);
        assert.ok(error < 1e-3, `${wasm.names[i]}: relative L2 error ${error}`);
      });
    });
  }

  it('smooth model: the input gradient matches finite differences', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const model = buildSmallResNet('tanh');
    const weights = seededWeights(model, 1).map((w) => tf.tensor(w.values, w.shape));
    model.setWeights(weights);
    tf.dispose(weights);
    try {
      const readout = randomInput([batchSize, 4], 5);
      const readoutTensor = tf.tensor(readout.values, readout.shape);
      // Float32 forward passes through a dozen layers: finite differences with a 1e-2 step carry about
      // 1e-3 relative noise, hence the tolerance.
      const error = finiteDifferenceError((x) => tf.mul(model.apply(x, { training: true }) as tf.Tensor, readoutTensor), [images], {
        step: 1e-2,
        coordinates: 16,
        directions: 3,
      });
      readoutTensor.dispose();
      assert.ok(error < 1e-2, `finite-difference error ${error}`);
    } finally {
      model.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
  });
});
