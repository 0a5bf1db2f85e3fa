import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { type OptimizerConfig, type Param, createOptimizer } from '../../../src/engine/train/optimizer';
import { randomValues, relativeError, spyOnAddon, useNativeBackendInSuite } from './native-test-kit';

/** Three SGD steps on two variables from seeded values and gradients; returns the variables and velocities. */
async function runSgd(backend: string, config: OptimizerConfig): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const shapes = [[3, 3, 4, 5], [5]];
  const params: Param[] = shapes.map((shape, i) => {
    const initial = tf.tensor(randomValues(shape, 10 + i), shape);
    const variable = tf.variable(initial, true, `sgd-test-${backend}-${i}`);
    initial.dispose();
    return { key: `w${i}`, variable };
  });
  const optimizer = createOptimizer(config);
  for (let step = 0; step < 3; step++) {
    const grads: tf.NamedTensorMap = {};
    params.forEach((p, i) => { grads[p.variable.name] = tf.tensor(randomValues(p.variable.shape, 100 * step + i, 0.5), p.variable.shape); });
    optimizer.apply(params, grads, 0.05 + 0.01 * step);
    tf.dispose(Object.values(grads));
  }
  const results = [...params.map((p) => p.variable), ...optimizer.state().slots.map((s) => s.tensor)];
  const values = await Promise.all(results.map(async (t) => (await t.data()) as Float32Array));
  optimizer.dispose();
  params.forEach((p) => p.variable.dispose());
  return values;
}

// The project's SGD runs each variable's step as one native kernel (NativeSgdUpdate) instead of four to six
// tfjs ops: the same float32 steps, so results match the op chain on cpu.
describe('native backend: fused SGD step', () => {
  useNativeBackendInSuite();

  const configs: [string, OptimizerConfig][] = [
    ['momentum', { kind: 'sgd', momentum: 0.9, weightDecay: 0 }],
    ['momentum with weight decay, Nesterov', { kind: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 }],
    ['plain SGD with weight decay (no velocity)', { kind: 'sgd', momentum: 0, weightDecay: 1e-3 }],
  ];
  for (const [label, config] of configs) {
    it(`${label}: matches the tfjs ops on cpu, runs natively, leaks nothing`, async () => {
      const expected = await runSgd('cpu', config);
      await tf.setBackend('native');
      const before = tf.memory().numTensors;
      const spy = spyOnAddon();
      let actual: Float32Array[];
      try {
        actual = await runSgd('native', config);
      } finally {
        spy.restore();
      }
      assert.equal(tf.memory().numTensors, before, 'tensors leaked');
      assert.equal(spy.calls.get('sgdUpdate'), 6, 'one fused update per variable and step');
      assert.ok(!spy.calls.has('binary'), `element-wise ops ran besides the fused step (calls: ${[...spy.calls.keys()].join(', ')})`);
      assert.equal(actual.length, expected.length);
      assert.equal(actual.length, config.kind === 'sgd' && config.momentum > 0 ? 4 : 2, 'variables plus one velocity each when momentum > 0');
      for (let i = 0; i < expected.length; i++) {
        const error = relativeError(actual[i], expected[i]);
        assert.ok(error <= 1e-6, `${label}: output ${i} differs from cpu by ${error.toExponential(2)}`);
      }
    });
  }
});
