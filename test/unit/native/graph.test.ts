import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { strict as assert } from 'node:assert';
import type { NativeBackend } from '../../../src/engine/backend/native-backend';
import { NATIVE_GRAPH_ENV, NativeGraph, nativeGraphOf, nativeGraphRefusal } from '../../../src/engine/backend/native-graph';
import { ADD_RELU_OP } from '../../../src/engine/backend/native-kernels-elementwise';
import { inputGradient } from '../../../src/engine/gradients';
import { blockMap } from '../../../src/engine/model/blocks';
import { buildResNet18 } from '../../../src/engine/model/builders/resnet';
import { buildSmallResNet } from '../../../src/engine/model/builders/small-resnet';
import { applyTrainability } from '../../../src/engine/model/freeze';
import type { BatchNormPolicy } from '../../../src/engine/model/meta';
import { splitAtBlock } from '../../../src/engine/model/split';
import { inferenceOutput, logits, penultimateFeatures } from '../../../src/engine/outputs';
import { createOptimizer, type Param } from '../../../src/engine/train/optimizer';
import { trainStep } from '../../../src/engine/train/trainer';
import { randomValues, relativeError, spyOnAddon, useNativeBackendInSuite } from './native-test-kit';

const CLASSES = 5;

function smallResNet(): tfl.LayersModel {
  return buildSmallResNet({ inputShape: [12, 12, 3], numClasses: CLASSES, seed: 7, width: 4 });
}

/**
 * Every branch the graph has beyond the ResNet's: conv with bias, stride, 'valid' padding and its own
 * ReLU; a conv output read three times (gradients summed); a batch norm; average pooling and a
 * ReLU layer after it (not fused); a three-way Add with its ReLU; max
 * pooling to one pixel, flattened and added to the global average; a hidden Dense with ReLU; a softmax output (dropped:
 * the graph gives logits, as logits() does).
 */
function mixedModel(): tfl.LayersModel {
  const init = (seed: number) => tfl.initializers.glorotNormal({ seed });
  const input = tfl.input({ shape: [11, 11, 3] });
  const c1 = tfl.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu', kernelInitializer: init(1), biasInitializer: tfl.initializers.randomNormal({ seed: 9 }) }).apply(input) as tfl.SymbolicTensor;
  const c2 = tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(2) }).apply(c1) as tfl.SymbolicTensor;
  const a = tfl.layers.batchNormalization({ momentum: 0.8, epsilon: 1e-3 }).apply(c2) as tfl.SymbolicTensor;
  const pooled = tfl.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(c1) as tfl.SymbolicTensor;
  const b = tfl.layers.reLU({}).apply(pooled) as tfl.SymbolicTensor;
  const sum = tfl.layers.add({}).apply([a, b, c1]) as tfl.SymbolicTensor;
  const s = tfl.layers.activation({ activation: 'relu' }).apply(sum) as tfl.SymbolicTensor;
  const g = tfl.layers.globalAveragePooling2d({}).apply(s) as tfl.SymbolicTensor;
  const corner = tfl.layers.flatten({}).apply(tfl.layers.maxPooling2d({ poolSize: 5, strides: 5 }).apply(s) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
  const features = tfl.layers.add({}).apply([g, corner]) as tfl.SymbolicTensor;
  const h = tfl.layers.dense({ units: 7, activation: 'relu', kernelInitializer: init(3) }).apply(features) as tfl.SymbolicTensor;
  const output = tfl.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: init(4) }).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output });
}

/** The small ResNet after its first two blocks (stem, conv2): what training on cached frozen-prefix activations runs. */
function suffixModel(): tfl.LayersModel {
  const model = smallResNet();
  const split = splitAtBlock(model, blockMap(model), 2);
  alsoDispose.set(split.suffix, [split.prefix, model]);
  return split.suffix;
}

/** Models sharing layers with a test's model, disposed with it. */
const alsoDispose = new WeakMap<tfl.LayersModel, tfl.LayersModel[]>();

/** ResNet-18 (narrow) with the ImageNet stem: zero padding, 'valid' 7x7/2 convolution, 3x3/2 max pooling. */
function stemModel(): tfl.LayersModel {
  return buildResNet18({ inputShape: [24, 24, 3], numClasses: CLASSES, seed: 3, width: 4, stem: 'imagenet' });
}

/** Statistics and affine parameters away from their initial 0/1, so inference differs from training. */
function perturbBatchNorms(model: tfl.LayersModel): void {
  let seed = 100;
  for (const w of model.weights) {
    if (!/moving_mean|moving_variance|gamma|beta/.test(w.originalName)) continue;
    const values = randomValues(w.shape as number[], seed++, 0.3);
    const positive = /moving_variance|gamma/.test(w.originalName);
    const t = tf.tensor(values.map((v) => (positive ? 1 + Math.abs(v) : v)), w.shape as number[]);
    w.write(t);
    t.dispose();
  }
}

interface Run {
  weights: Float32Array[];
  losses: number[];
  correct: number[];
}

/**
 * Three trainer steps (SGD with momentum) on `backend`: every weight afterwards (moving statistics included),
 * each step's loss and hit count.
 */
async function trainThree(backend: string, build: () => tfl.LayersModel, options: { weighted?: boolean; frozen?: string[]; policy?: BatchNormPolicy } = {}): Promise<Run> {
  await tf.setBackend(backend);
  const model = build();
  perturbBatchNorms(model);
  if (options.frozen) applyTrainability(model, options.frozen, options.policy ?? 'frozen');
  const shape = model.inputs[0].shape.slice(1) as number[];
  const params: Param[] = model.trainableWeights.map((w) => ({ key: w.originalName, variable: w.read() as tf.Variable }));
  const optimizer = createOptimizer({ kind: 'sgd', momentum: 0.9, weightDecay: 0 });
  const run: Run = { weights: [], losses: [], correct: [] };
  for (let step = 0; step < 3; step++) {
    const x = tf.tensor(randomValues([6, ...shape], 30 + step), [6, ...shape]);
    const y = tf.tensor1d([0, 1, 2, 3, 4, step % CLASSES], 'int32');
    const w = options.weighted ? tf.tensor1d([0.5, 2, 1, 0, 1.5, 1]) : undefined;
    const { lossValue, correctValue } = await trainStep(model, params, optimizer, x, y, w, CLASSES, 0.05);
    run.losses.push(lossValue);
    run.correct.push(correctValue);
    tf.dispose([x, y, ...(w ? [w] : [])]);
  }
  run.weights = await Promise.all(model.weights.map(async (v) => Float32Array.from(await v.read().data())));
  optimizer.dispose();
  model.dispose();
  for (const other of alsoDispose.get(model) ?? []) other.dispose();
  return run;
}

/** Trains on cpu (tfjs ops) and on native (the graph: asserted by its kernel running) and compares. */
async function expectGraphTrainsLikeCpu(
  label: string, build: () => tfl.LayersModel, options: Parameters<typeof trainThree>[2] & { tolerance?: number } = {},
): Promise<void> {
  const tolerance = options.tolerance ?? 1e-4;
  const expected = await trainThree('cpu', build, options);
  await tf.setBackend('native');
  const before = tf.memory().numTensors;
  const spy = spyOnAddon();
  let actual: Run;
  try {
    actual = await trainThree('native', build, options);
  } finally {
    spy.restore();
  }
  assert.equal(tf.memory().numTensors, before, `${label}: tensors leaked`);
  assert.ok((spy.calls.get('batchNormTrainBackward') ?? 0) + (spy.calls.get('batchNormBackward') ?? 0) > 0, `${label}: the graph did not run`);
  assert.ok(!spy.calls.has('momentsBackward'), `${label}: the tfjs path ran (moments gradient)`);
  assert.deepEqual(actual.correct, expected.correct, `${label}: hit counts`);
  for (let i = 0; i < 3; i++) {
    const error = Math.abs(actual.losses[i] - expected.losses[i]) / Math.max(1, Math.abs(expected.losses[i]));
    assert.ok(error <= tolerance / 10, `${label}: loss ${i} ${actual.losses[i]} vs ${expected.losses[i]}`);
  }
  for (let i = 0; i < expected.weights.length; i++) {
    const error = relativeError(actual.weights[i], expected.weights[i]);
    assert.ok(error <= tolerance, `${label}: weight ${i} differs from cpu by ${error.toExponential(2)}`);
  }
}

// native-graph.ts: whole training steps, inference and input gradients of supported layer graphs as direct
// addon calls, checked against tfjs on the cpu backend.
describe('native backend: compiled layer graph', () => {
  useNativeBackendInSuite();

  it('batchNormTrainBackward equals the gradient of moments + batch norm (+ ReLU) on cpu', async () => {
    const cases: [number[], boolean, boolean][] = [
      [[5, 1], false, true], [[7, 3], true, true], [[4, 6, 6, 8], true, false], [[3, 5, 5, 17], false, false],
      [[4, 32, 32, 40], true, true], [[2, 9, 9, 64], true, true],
    ];
    for (const [shape, relu, withScale] of cases) {
      const channels = shape[shape.length - 1];
      const xValues = randomValues(shape, 1, 2);
      const dyValues = randomValues(shape, 2);
      const scaleValues = randomValues([channels], 3).map((v) => 1 + 0.5 * v);
      const offsetValues = randomValues([channels], 4);
      await tf.setBackend('cpu');
      const expected = tf.tidy(() => {
        const x = tf.tensor(xValues, shape);
        const dy = tf.tensor(dyValues, shape);
        const f = (xx: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor): tf.Tensor => {
          const { mean, variance } = tf.moments(xx, shape.slice(0, -1).map((_, i) => i));
          // (tfjs cannot differentiate a batch norm without scale: ones stand in for none.)
          const y = tf.batchNorm(xx, mean, variance, offset, withScale ? scale : tf.onesLike(scale), 1e-3);
          return tf.sum(tf.mul(relu ? tf.relu(y) : y, dy));
        };
        return tf.grads(f)([x, tf.tensor1d(scaleValues), tf.tensor1d(offsetValues)]).map((g) => g.dataSync().slice());
      });
      await tf.setBackend('native');
      const { addon } = tf.backend() as NativeBackend;
      const mean = new Float32Array(channels);
      const variance = new Float32Array(channels);
      addon.momentsForward(xValues, mean, variance, [1, xValues.length / channels, channels]);
      const y = new Float32Array(xValues.length);
      addon.batchNormForward(xValues, mean, variance, offsetValues, withScale ? scaleValues : null, y, channels, 1e-3, relu ? 1 : 0);
      const dx = new Float32Array(xValues.length);
      const dScale = new Float32Array(channels);
      const dOffset = new Float32Array(channels);
      addon.batchNormTrainBackward(xValues, mean, variance, withScale ? scaleValues : null, dyValues, relu ? y : null, dx, dScale, dOffset, 1e-3);
      const label = `[${shape.join('x')}] relu ${relu} scale ${withScale}`;
      assert.ok(relativeError(dx, expected[0]) <= 2e-4, `${label}: dx differs by ${relativeError(dx, expected[0]).toExponential(2)}`);
      if (withScale) assert.ok(relativeError(dScale, expected[1]) <= 1e-4, `${label}: dScale differs by ${relativeError(dScale, expected[1]).toExponential(2)}`);
      assert.ok(relativeError(dOffset, expected[2]) <= 1e-5, `${label}: dOffset differs`);
      // dx alone, and the per-channel gradients alone, give the same values.
      const dxOnly = new Float32Array(xValues.length);
      addon.batchNormTrainBackward(xValues, mean, variance, withScale ? scaleValues : null, dyValues, relu ? y : null, dxOnly, null, null, 1e-3);
      assert.deepEqual(dxOnly, dx, `${label}: dx without the per-channel outputs`);
      const dOffsetOnly = new Float32Array(channels);
      addon.batchNormTrainBackward(xValues, mean, variance, withScale ? scaleValues : null, dyValues, relu ? y : null, null, new Float32Array(channels), dOffsetOnly, 1e-3);
      assert.deepEqual(dOffsetOnly, dOffset, `${label}: per-channel gradients without dx`);
    }
  });

  it('the AddRelu op is relu(a + b), NaN kept', async () => {
    await tf.setBackend('native');
    const { addon } = tf.backend() as NativeBackend;
    const a = randomValues([3, 50000], 5);
    const b = randomValues([3, 50000], 6);
    a[7] = Number.NaN;
    const out = new Float32Array(a.length);
    addon.binary(ADD_RELU_OP, a, [a.length], b, [b.length], out, null);
    for (let i = 0; i < a.length; i++) {
      const v = Math.fround(a[i] + b[i]);
      const expected = Number.isNaN(v) ? v : Math.max(v, 0);
      if (!Object.is(out[i], expected) && !(out[i] === 0 && expected === 0)) assert.fail(`element ${i}: ${out[i]} vs ${expected}`);
    }
  });

  it('compiles the ResNets with ReLUs fused, and refuses other layers naming them', async () => {
    await tf.setBackend('native');
    const graph = NativeGraph.compile(smallResNet());
    assert.ok(graph instanceof NativeGraph);
    const nodes = (graph as unknown as { nodes: { op: { kind: string; relu?: boolean }; foldInto?: number }[] }).nodes;
    assert.equal(nodes.filter((n) => n.op.kind === 'relu').length, 0, 'every ReLU fused into its batch norm or sum');
    assert.equal(nodes.filter((n) => n.op.kind === 'conv').length, 9);
    assert.equal(nodes.filter((n) => n.foldInto !== undefined).length, 9, 'every conv feeds one batch norm');
    assert.ok(NativeGraph.compile(mixedModel()) instanceof NativeGraph);
    assert.ok(NativeGraph.compile(stemModel()) instanceof NativeGraph);

    const input = tfl.input({ shape: [8, 8, 3] });
    const dropped = tfl.layers.dropout({ rate: 0.5, name: 'drop_here' }).apply(input) as tfl.SymbolicTensor;
    const flat = tfl.layers.globalAveragePooling2d({}).apply(dropped) as tfl.SymbolicTensor;
    const dropout = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 2 }).apply(flat) as tfl.SymbolicTensor });
    assert.match(nativeGraphRefusal(dropout) ?? '', /drop_here \(Dropout\)/);
    assert.equal(nativeGraphOf(dropout), undefined);
    const sigmoid = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 2, activation: 'sigmoid', name: 'sig' }).apply(tfl.layers.globalAveragePooling2d({}).apply(input) as tfl.SymbolicTensor) as tfl.SymbolicTensor });
    assert.match(nativeGraphRefusal(sigmoid) ?? '', /sig has activation sigmoid/);
    const dilated = tfl.model({ inputs: input, outputs: tfl.layers.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2, name: 'dil' }).apply(input) as tfl.SymbolicTensor });
    assert.match(nativeGraphRefusal(dilated) ?? '', /dil: dilated convolution/);
    const noScale = tfl.model({ inputs: input, outputs: tfl.layers.batchNormalization({ scale: false, name: 'bn_noscale' }).apply(input) as tfl.SymbolicTensor });
    assert.match(nativeGraphRefusal(noScale) ?? '', /bn_noscale: batch norm without scale/);
  });

  it('small ResNet: trainer steps match cpu (loss, hits, every weight and moving statistic)', async () => {
    await expectGraphTrainsLikeCpu('small ResNet', smallResNet);
  });

  it('mixed layers: trainer steps match cpu, with per-example loss weights', async () => {
    await expectGraphTrainsLikeCpu('mixed', mixedModel);
    await expectGraphTrainsLikeCpu('mixed, weighted', mixedModel, { weighted: true });
  });

  it('the suffix model of frozen-prefix caching (layers shared with the whole model): trainer steps match cpu', async () => {
    await expectGraphTrainsLikeCpu('suffix', suffixModel);
  });

  it('ResNet-18 with the ImageNet stem (zero padding, max pooling): trainer steps match cpu', async () => {
    // At 24 px its last stages are 2x2 and 1x1: batch norm over a batch of 6 such maps amplifies rounding.
    // TF.js's own ops on native (BIAS_AUDIT_NATIVE_GRAPH=off) differ from cpu by as much (measured 4.7e-4).
    await expectGraphTrainsLikeCpu('stem', stemModel, { tolerance: 1e-3 });
  });

  it('frozen stem: frozen statistics stay put (policy frozen) or update (policy train), like cpu', async () => {
    const frozen = ['conv1_conv', 'conv1_bn', 'conv1_relu'];
    await expectGraphTrainsLikeCpu('frozen stem, policy frozen', smallResNet, { frozen, policy: 'frozen' });
    await expectGraphTrainsLikeCpu('frozen stem, policy train', smallResNet, { frozen, policy: 'train' });
  });

  it('reusing pooled buffers: the same batch twice gives identical loss and gradients', async () => {
    await tf.setBackend('native');
    const model = smallResNet();
    const graph = nativeGraphOf(model) as NativeGraph;
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const x = tf.tensor(randomValues([4, 12, 12, 3], 8), [4, 12, 12, 3]);
    const before = tf.memory().numTensors;
    const runs = [0, 1].map(() => {
      const { loss, grads } = graph.trainStep(x, [0, 1, 2, 3], undefined, variables);
      const values = variables.map((v) => grads[v.name].dataSync().slice());
      tf.dispose(Object.values(grads));
      return { loss, values };
    });
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    assert.equal(runs[1].loss, runs[0].loss);
    runs[0].values.forEach((v, i) => assert.deepEqual(runs[1].values[i], v, `gradient ${i}`));
    x.dispose();
    model.dispose();
  });

  it('inference (logits) and input gradients match cpu, with batch norms folded into the convolutions', async () => {
    for (const build of [smallResNet, mixedModel, stemModel]) {
      const shape = [3, ...(build().inputs[0].shape.slice(1) as number[])];
      const xValues = randomValues(shape, 11);
      const outputs = async (backend: string): Promise<Float32Array[]> => {
        await tf.setBackend(backend);
        const model = build();
        perturbBatchNorms(model);
        const x = tf.tensor(xValues, shape);
        const z = logits(model, x);
        const features = penultimateFeatures(model, x);
        // model.predict's output: probabilities for the mixed model (ending in softmax, left to tfjs), logits otherwise.
        const predicted = inferenceOutput(model, x);
        const logit = inputGradient(model, x as tf.Tensor4D, [0, 3, 4], { score: 'logit' });
        const logSoftmax = inputGradient(model, x as tf.Tensor4D, 2, { score: 'logsoftmax' });
        const all = [z, features, predicted, logit.gradient, logit.scores, logSoftmax.gradient, logSoftmax.scores];
        const values = all.map((t) => Float32Array.from(t.dataSync()));
        tf.dispose([x, ...all]);
        model.dispose();
        return values;
      };
      const expected = await outputs('cpu');
      await tf.setBackend('native');
      const before = tf.memory().numTensors;
      const spy = spyOnAddon();
      let actual: Float32Array[];
      try {
        actual = await outputs('native');
      } finally {
        spy.restore();
      }
      assert.equal(tf.memory().numTensors, before, 'tensors leaked');
      const name = build.name;
      assert.ok(spy.calls.has('conv2dBackwardInput'), `${name}: no native input gradient`);
      assert.ok(!spy.calls.has('conv2dBackwardFilter'), `${name}: filter gradients computed for an input gradient`);
      if (build === smallResNet) assert.ok(!spy.calls.has('batchNormForward'), 'batch norms not folded');
      expected.forEach((e, i) => {
        const error = relativeError(actual[i], e);
        assert.ok(error <= 2e-5, `${name}: output ${i} differs from cpu by ${error.toExponential(2)}`);
      });
    }
  });

  it('inference hands intermediates back to the pool after their last reader and sums residuals inside the convolutions; logits match cpu', async () => {
    const shape = [6, 32, 32, 3];
    const xValues = randomValues(shape, 12);
    // Two blocks in the first stage: the second block's first convolution can reuse the first block's buffer.
    const build = (): tfl.LayersModel => buildSmallResNet({ inputShape: [32, 32, 3], numClasses: CLASSES, seed: 5, width: 8, blocksPerStage: [2, 1, 1] });
    const run = async (backend: string): Promise<Float32Array> => {
      await tf.setBackend(backend);
      const model = build();
      perturbBatchNorms(model);
      const x = tf.tensor(xValues, shape);
      const z = logits(model, x);
      const values = Float32Array.from(await z.data());
      tf.dispose([x, z]);
      model.dispose();
      return values;
    };
    const expected = await run('cpu');
    await tf.setBackend('native');
    const backend = tf.backend() as NativeBackend;
    const allocate = backend.allocate.bind(backend);
    const buffers: Float32Array[] = [];
    backend.allocate = (length: number) => {
      const buffer = allocate(length);
      buffers.push(buffer);
      return buffer;
    };
    let actual: Float32Array;
    let spy: ReturnType<typeof spyOnAddon> | undefined;
    try {
      await run('native'); // fills the pool
      buffers.length = 0;
      spy = spyOnAddon();
      actual = await run('native');
    } finally {
      spy?.restore();
      backend.allocate = allocate;
    }
    // Every residual sum and its ReLU ran inside the block's second convolution (sumInto): the only binary
    // passes are the batch-norm folds of this fresh model's filters, one per convolution.
    assert.equal(spy.calls.get('binary'), spy.calls.get('conv2dForward'), 'a residual sum ran as its own pass');
    const large = buffers.filter((b) => b.length >= 6 * 32 * 32 * 8);
    assert.ok(large.length >= 3, `expected the full-resolution activations among the allocations, got ${large.length}`);
    assert.ok(new Set(large).size < large.length, 'no buffer was reused within the pass');
    assert.ok(relativeError(actual, expected) <= 2e-5, `logits differ from cpu by ${relativeError(actual, expected).toExponential(2)}`);
  });

  it(`${NATIVE_GRAPH_ENV}=off runs training through tfjs ops on native`, async () => {
    const previous = process.env[NATIVE_GRAPH_ENV];
    process.env[NATIVE_GRAPH_ENV] = 'off';
    try {
      await tf.setBackend('native');
      const spy = spyOnAddon();
      try {
        await trainThree('native', smallResNet);
      } finally {
        spy.restore();
      }
      assert.ok(!spy.calls.has('batchNormTrainBackward'), 'the graph ran');
      assert.ok(spy.calls.has('momentsBackward'), 'the tfjs path did not run');
    } finally {
      if (previous === undefined) delete process.env[NATIVE_GRAPH_ENV];
      else process.env[NATIVE_GRAPH_ENV] = previous;
    }
  });
});
