import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { strict as assert } from 'node:assert';
import { accuracyReport, predict } from '../../../src/engine/eval';
import { inputGradient } from '../../../src/engine/gradients';
import { classifierHead, logits, penultimateFeatures } from '../../../src/engine/outputs';
import { TensorSource } from '../../../src/engine/train/source';
import { assertNoLeak, useBackend } from '../helpers/tf';

function smallConvNet(softmaxHead: boolean): tfl.LayersModel {
  const init = (seed: number) => tfl.initializers.glorotNormal({ seed });
  const input = tfl.input({ shape: [7, 7, 2] });
  let t = tfl.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh', kernelInitializer: init(1), name: 'c1' }).apply(input) as tfl.SymbolicTensor;
  t = tfl.layers.batchNormalization({ name: 'bn1', movingMeanInitializer: 'ones' }).apply(t) as tfl.SymbolicTensor;
  t = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(t) as tfl.SymbolicTensor;
  t = tfl.layers.dense({ units: 4, activation: softmaxHead ? 'softmax' : 'linear', kernelInitializer: init(2), name: 'fc' }).apply(t) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: t });
}

for (const backend of ['cpu', 'wasm'] as const) describe(`input gradients on ${backend}`, () => {
  before(() => useBackend(backend));

  for (const score of ['logit', 'logsoftmax'] as const) {
    it(`match central finite differences (${score})`, async () => {
      const model = smallConvNet(false);
      await assertNoLeak(async () => {
        const x = tf.randomNormal([2, 7, 7, 2], 0, 1, 'float32', 3) as tf.Tensor4D;
        const { gradient, scores } = inputGradient(model, x, [1, 3], { score });
        const g = await gradient.data();
        const base = await x.data();
        const scoreOf = async (values: Float32Array, row: number, cls: number): Promise<number> => {
          const xt = tf.tensor4d(values, x.shape);
          const r = inputGradient(model, xt, cls, { score });
          const s = (await r.scores.data())[row];
          tf.dispose([xt, r.gradient, r.scores]);
          return s;
        };
        const eps = 1e-2;
        for (const flat of [0, 17, 50, 98 + 33, 98 + 97]) {
          const row = flat < 98 ? 0 : 1;
          const cls = row === 0 ? 1 : 3;
          const plus = Float32Array.from(base);
          plus[flat] += eps;
          const minus = Float32Array.from(base);
          minus[flat] -= eps;
          const fd = ((await scoreOf(plus, row, cls)) - (await scoreOf(minus, row, cls))) / (2 * eps);
          assert.ok(Math.abs(fd - g[flat]) < 2e-3 + 2e-2 * Math.abs(fd), `element ${flat}: autodiff ${g[flat]} vs finite difference ${fd}`);
        }
        const z = logits(model, x);
        const zs = await z.array();
        const sv = await scores.data();
        if (score === 'logit') assert.ok(Math.abs(sv[0] - zs[0][1]) < 1e-5 && Math.abs(sv[1] - zs[1][3]) < 1e-5);
        tf.dispose([x, gradient, scores, z]);
      });
      model.dispose();
    });
  }

  it('uses true logits for a model ending in softmax', async () => {
    const model = smallConvNet(true);
    await assertNoLeak(async () => {
      const x = tf.randomNormal([3, 7, 7, 2], 0, 1, 'float32', 4) as tf.Tensor4D;
      const z = logits(model, x);
      const p = model.predict(x) as tf.Tensor;
      const fromLogits = tf.softmax(z);
      const maxDiff = tf.tidy(() => tf.max(tf.abs(tf.sub(fromLogits, p))));
      const diff = (await maxDiff.data())[0];
      maxDiff.dispose();
      assert.ok(diff < 1e-6, `softmax(logits) differs from the model's output by ${diff}`);
      const f = penultimateFeatures(model, x);
      assert.deepEqual(f.shape, [3, 3]);
      assert.equal(classifierHead(model).denseHasSoftmax, true);
      tf.dispose([x, z, p, fromLogits, f]);
    });
    model.dispose();
  });

  it('rejects class indices outside the model', () => {
    const model = smallConvNet(false);
    const x = tf.zeros([1, 7, 7, 2]) as tf.Tensor4D;
    assert.throws(() => inputGradient(model, x, 4, { score: 'logit' }), /outside 0\.\.3/);
    x.dispose();
    model.dispose();
  });
});

describe('evaluation', () => {
  before(() => useBackend('cpu'));

  it('accuracyReport computes accuracy, per-class accuracy and the confusion matrix', () => {
    const report = accuracyReport(
      { numClasses: 3, probabilities: new Float32Array(18), predicted: Int32Array.from([0, 1, 1, 2, 2, 0]), labels: Int32Array.from([0, 1, 2, 2, 2, 1]) },
      ['a', 'b', 'c'],
    );
    assert.equal(report.accuracy, 4 / 6);
    assert.deepEqual(report.confusion, [[1, 0, 0], [1, 1, 0], [0, 1, 2]]);
    assert.deepEqual(report.perClass.map((c) => c.accuracy), [1, 0.5, 2 / 3]);
    assert.equal(report.perClass[2].className, 'c');
  });

  it('predict returns probabilities and predictions in source order without leaking', async () => {
    const model = smallConvNet(false);
    const x = tf.randomNormal([10, 7, 7, 2], 0, 1, 'float32', 5);
    const y = Int32Array.from([0, 1, 2, 3, 0, 1, 2, 3, 0, 1]);
    const source = new TensorSource(x, y, 4, 1);
    const p = await assertNoLeak(() => predict(model, source));
    const direct = tf.tidy(() => tf.softmax(model.predict(x) as tf.Tensor));
    const expected = await direct.data();
    for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(expected[i] - p.probabilities[i]) < 1e-6);
    assert.deepEqual(Array.from(p.labels), Array.from(y));
    direct.dispose();
    source.dispose();
    model.dispose();
  });
});
