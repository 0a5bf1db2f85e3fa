import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { strict as assert } from 'node:assert';
import { type Param, createOptimizer } from '../../../src/engine/train/optimizer';
import { randomValues, relativeError, spyOnAddon, useNativeBackendInSuite } from './native-test-kit';

/** conv -> BN -> ReLU -> conv -> BN -> global average -> dense, with seeded weights. */
function buildModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3] });
  let x = tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }) }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.activation({ activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }) }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ momentum: 0.8, epsilon: 1e-3 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({}).apply(x) as tfl.SymbolicTensor;
  const output = tfl.layers.dense({ units: 4, kernelInitializer: tfl.initializers.glorotNormal({ seed: 3 }) }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output });
}

/** Three training steps; returns every weight (moving statistics included) and the losses. */
async function train(backend: string): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const model = buildModel();
  const params: Param[] = model.trainableWeights.map((w) => ({ key: w.originalName, variable: w.read() as tf.Variable }));
  const optimizer = createOptimizer({ kind: 'sgd', momentum: 0.9, weightDecay: 0 });
  const losses: number[] = [];
  for (let step = 0; step < 3; step++) {
    const x = tf.tensor4d(randomValues([6, 8, 8, 3], 20 + step), [6, 8, 8, 3]);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 1, 2], 'int32'), 4);
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      params.map((p) => p.variable));
    optimizer.apply(params, grads, 0.1);
    losses.push((await value.data())[0]);
    tf.dispose([x, labels, value, ...Object.values(grads)]);
  }
  const weights = await Promise.all(model.weights.map(async (w) => Float32Array.from(await w.read().data())));
  optimizer.dispose();
  model.dispose();
  return [...weights, Float32Array.from(losses)];
}

// tfjs-layers' BatchNormalization in training on the native backend: the moving mean and variance are each
// updated by one NativeMovingAverage kernel instead of three recorded ops (native-batchnorm-layer.ts).
describe('native backend: BatchNormalization layer in training', () => {
  useNativeBackendInSuite();

  it('trains like tfjs-layers on cpu (weights, moving statistics, losses), with one update kernel per statistic', async () => {
    await tf.setBackend('cpu');
    const cpuBefore = tf.memory().numTensors;
    const expected = await train('cpu');
    const cpuLeak = tf.memory().numTensors - cpuBefore;
    await tf.setBackend('native');
    const before = tf.memory().numTensors;
    const spy = spyOnAddon();
    let actual: Float32Array[];
    try {
      actual = await train('native');
    } finally {
      spy.restore();
    }
    assert.equal(tf.memory().numTensors - before, cpuLeak, `tensors leaked (cpu ${cpuLeak})`);
    assert.equal(spy.calls.get('movingAverage'), 2 * 2 * 3, 'two statistics of two layers, three steps');
    assert.equal(actual.length, expected.length);
    for (let i = 0; i < expected.length; i++) {
      const error = relativeError(actual[i], expected[i]);
      assert.ok(error <= 1e-4, `weight ${i} differs from cpu by ${error.toExponential(2)}`);
    }
  });

  it('inference and other backends keep tfjs-layers\' own call', async () => {
    await tf.setBackend('native');
    const model = buildModel();
    const spy = spyOnAddon();
    try {
      tf.tidy(() => model.apply(tf.ones([2, 8, 8, 3]), { training: false }) as tf.Tensor);
    } finally {
      spy.restore();
      model.dispose();
    }
    assert.ok(!spy.calls.has('movingAverage'), 'statistics updated outside training');
  });
});
