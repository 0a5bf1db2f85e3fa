// The webgpu backend against cpu: the kernels that training a ResNet and taking input gradients run (the same
// shapes as the native backend's tests), then a whole ResNet-18's gradients. Run by `npm run test:webgpu`.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { strict as assert } from 'node:assert';
import { buildResNet18 } from '../../src/engine/model/builders/resnet';
import { CONV_CASES, DILATED_CONV_CASES, describeConvCase } from '../unit/native/conv-cases';
import { input, normRelativeError, randomValues, relativeError } from '../unit/native/native-test-kit';
import { POOL_CASES, describePoolCase } from '../unit/native/pool-cases';
import { runOnBackend } from '../unit/helpers/tf';
import { expectWebgpuMatchesCpu, useWebgpuBackendInSuite, worstErrors } from './webgpu-test-kit';

function positive(t: tf.Tensor): tf.Tensor {
  return tf.add(tf.square(t), 0.5);
}

describe('webgpu backend: kernels against cpu', function () {
  this.timeout(120_000);
  useWebgpuBackendInSuite();
  after(() => {
    const worst = [...worstErrors.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
    process.stderr.write(`      largest relative errors: ${worst.map(([l, e]) => `${l} ${e.toExponential(1)}`).join('; ')}\n`);
  });

  for (const c of [...CONV_CASES, ...DILATED_CONV_CASES]) {
    it(`Conv2D forward: ${describeConvCase(c)}`, async () => {
      await expectWebgpuMatchesCpu(`conv2d ${describeConvCase(c)}`, [input(c.x, 1), input(c.filter, 2)], (x, w) =>
        tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.strides, c.pad, 'NHWC', c.dilation ?? 1));
    });
  }

  for (const c of CONV_CASES) {
    it(`Conv2D input and filter gradients: ${describeConvCase(c)}`, async () => {
      const outShape = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.filter) as tf.Tensor4D, c.strides, c.pad).shape);
      await expectWebgpuMatchesCpu(`conv2d gradients ${describeConvCase(c)}`, [input(c.x, 1), input(c.filter, 2), input(outShape, 3)], (x, w, r) =>
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), r)))([x, w]));
    });
  }

  it('FusedConv2D with bias and relu, and its gradients', async () => {
    await expectWebgpuMatchesCpu('fused conv2d', [input([2, 8, 8, 16], 1), input([3, 3, 16, 24], 2, 0.3), input([24], 3), input([2, 4, 4, 24], 4)], (x, w, bias, r) => [
      tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 2, pad: 'same', bias, activation: 'relu' }),
      ...tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.mul(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 2, pad: 'same', bias: c }), r)))([x, w, bias]),
    ]);
  });

  it('DepthwiseConv2dNative forward and gradients', async () => {
    await expectWebgpuMatchesCpu('depthwise', [input([2, 9, 9, 4], 1), input([3, 3, 4, 2], 2), input([2, 5, 5, 8], 3)], (x, w, r) => [
      tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same'),
      ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), r)))([x, w]),
    ]);
  });

  for (const c of POOL_CASES) {
    for (const kind of ['max', 'avg'] as const) {
      it(`${kind} pooling forward and gradient: ${describePoolCase(c)}`, async () => {
        const pool = (x: tf.Tensor): tf.Tensor4D => kind === 'max'
          ? tf.maxPool(x as tf.Tensor4D, c.size, c.strides, c.pad)
          : tf.avgPool(x as tf.Tensor4D, c.size, c.strides, c.pad);
        const outShape = tf.tidy(() => pool(tf.zeros(c.x)).shape);
        await expectWebgpuMatchesCpu(`${kind}Pool ${describePoolCase(c)}`, [input(c.x, 1), input(outShape, 2)], (x, r) => [
          pool(x),
          tf.grad((a: tf.Tensor) => tf.sum(tf.mul(pool(a), r)))(x),
        ]);
      });
    }
  }

  it('FusedBatchNorm forward and gradients (x, mean, variance, offset, scale)', async () => {
    await expectWebgpuMatchesCpu('batchNorm', [input([3, 5, 4, 6], 1), input([6], 2), input([6], 3), input([6], 4), input([6], 5), input([3, 5, 4, 6], 6)],
      (x, mean, variance, offset, scale, r) => [
        tf.batchNorm(x, mean, positive(variance), offset, scale, 1e-3),
        ...tf.grads((a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor) =>
          tf.sum(tf.mul(tf.batchNorm(a, m, v, o, s, 1e-3), r)))([x, mean, positive(variance), offset, scale]),
      ]);
  });

  it('moments, relu and its gradient, mean and softmax cross-entropy with gradients', async () => {
    await expectWebgpuMatchesCpu('moments/relu/softmax', [input([4, 6, 6, 8], 1), input([4, 10], 2)], (x, logits) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const labels = tf.oneHot(tf.tensor1d([1, 3, 5, 7], 'int32'), 10);
      return [mean, variance, tf.relu(x), tf.grad((a: tf.Tensor) => tf.sum(tf.relu(a)))(x),
        tf.grad((l: tf.Tensor) => tf.losses.softmaxCrossEntropy(labels, l))(logits)];
    });
  });

  for (const [a, b, transposeA, transposeB] of [[[17, 33], [33, 9], false, false], [[33, 17], [33, 9], true, false], [[17, 33], [9, 33], false, true]] as const) {
    it(`MatMul and gradients: ${a.join('x')}${transposeA ? 'ᵀ' : ''} by ${b.join('x')}${transposeB ? 'ᵀ' : ''}`, async () => {
      await expectWebgpuMatchesCpu(`matmul ${a.join('x')} ${b.join('x')}`, [input([...a], 1), input([...b], 2)], (x, y) => [
        tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, transposeA, transposeB),
        ...tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D, transposeA, transposeB))))([x, y]),
      ]);
    });
  }
});

describe('webgpu backend: whole ResNet-18 against cpu', function () {
  this.timeout(300_000);
  useWebgpuBackendInSuite();

  // Same policy as the native backend's test (test/unit/native/resnet18-gradients.test.ts): with ReLU a
  // pre-activation within rounding of zero may switch side, so that model is compared by the norm of the
  // difference; the tanh twin of the same topology, smooth, is compared element-wise.
  async function outputsOn(backend: string, activation: 'relu' | 'tanh', x: Float32Array): Promise<Float32Array[]> {
    await tf.setBackend(backend);
    let model = buildResNet18({ inputShape: [16, 16, 3], numClasses: 10, seed: 11, width: 16 });
    if (activation === 'tanh') {
      const json = JSON.stringify(model.toJSON(null, false)).replaceAll('"activation":"relu"', '"activation":"tanh"');
      model.dispose();
      model = await tfl.models.modelFromJSON({ modelTopology: JSON.parse(json) as tf.io.ModelJSON['modelTopology'] });
    }
    try {
      const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
      return await runOnBackend(backend, [{ shape: [2, 16, 16, 3], values: x }], (input) => {
        const y = tf.oneHot(tf.tensor1d([3, 7], 'int32'), 10);
        const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(input, { training: true }) as tf.Tensor) as tf.Scalar, weights);
        const inputGradient = tf.grad((i: tf.Tensor) => tf.sum(tf.slice(model.apply(i, { training: false }) as tf.Tensor2D, [0, 3], [2, 1])))(input);
        return [...weights.map((w) => grads[w.name]), inputGradient, model.apply(input, { training: false }) as tf.Tensor];
      });
    } finally {
      model.dispose();
    }
  }

  it('tanh twin: every weight gradient, the input gradient and the logits agree element-wise', async () => {
    const x = randomValues([2, 16, 16, 3], 5);
    const expected = await outputsOn('cpu', 'tanh', x);
    const actual = await outputsOn('webgpu', 'tanh', x);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, relativeError(actual[i], expected[i]));
    process.stderr.write(`      tanh ResNet-18: largest relative error over ${expected.length} outputs ${worst.toExponential(2)}\n`);
    assert.ok(worst <= 1e-3, `largest relative error ${worst}`);
  });

  it('ReLU ResNet-18: gradients agree in norm', async () => {
    const x = randomValues([2, 16, 16, 3], 5);
    const expected = await outputsOn('cpu', 'relu', x);
    const actual = await outputsOn('webgpu', 'relu', x);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, normRelativeError(actual[i], expected[i]));
    process.stderr.write(`      ReLU ResNet-18: largest norm-relative difference over ${expected.length} outputs ${worst.toExponential(2)}\n`);
    assert.ok(worst <= 1e-3, `largest norm-relative difference ${worst}`);
  });
});
