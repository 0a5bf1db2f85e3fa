import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { createOptimizer } from '../../../src/engine/train/optimizer';
import { resolveRecipe } from '../../../src/engine/train/recipe';
import { learningRateAt } from '../../../src/engine/train/schedule';
import { assertNoLeak, useBackend } from '../helpers/tf';

describe('learning-rate schedules', () => {
  it('cyclic rises linearly to the peak epoch and falls to zero at the end', () => {
    const s = { kind: 'cyclic', peakEpoch: 2 } as const;
    assert.equal(learningRateAt(s, 0.1, 0, 10), 0);
    assert.ok(Math.abs(learningRateAt(s, 0.1, 1, 10) - 0.05) < 1e-12);
    assert.ok(Math.abs(learningRateAt(s, 0.1, 2, 10) - 0.1) < 1e-12);
    assert.ok(Math.abs(learningRateAt(s, 0.1, 6, 10) - 0.05) < 1e-12);
    assert.equal(learningRateAt(s, 0.1, 10, 10), 0);
  });
  it('step multiplies by the factor every N epochs; constant stays', () => {
    const s = { kind: 'step', everyEpochs: 3, factor: 0.1 } as const;
    assert.equal(learningRateAt(s, 1, 2.9, 10), 1);
    assert.ok(Math.abs(learningRateAt(s, 1, 3, 10) - 0.1) < 1e-12);
    assert.ok(Math.abs(learningRateAt(s, 1, 6.5, 10) - 0.01) < 1e-12);
    assert.equal(learningRateAt({ kind: 'constant' }, 0.3, 7, 10), 0.3);
  });
  it('resolveRecipe rejects wrong fields with their path', () => {
    assert.throws(() => resolveRecipe({ epochs: 0 }, 'children.recipe'), /children\.recipe\.epochs must be a positive integer/);
    assert.throws(() => resolveRecipe({ optimizer: 'rmsprop' as 'sgd' }), /recipe\.optimizer must be "sgd" or "adam"/);
    assert.throws(() => resolveRecipe({ validationFraction: 1 }), /validationFraction/);
  });
});

describe('optimizers', () => {
  before(() => useBackend('cpu'));

  it('SGD with momentum and weight decay follows v = m v + (g + wd w); w -= lr v', async () => {
    await assertNoLeak(async () => {
      const init = tf.tensor1d([1, -2]);
      const w = tf.variable(init, true, 'w_sgd');
      init.dispose();
      const opt = createOptimizer({ kind: 'sgd', momentum: 0.9, weightDecay: 0.1 });
      const g = tf.tensor1d([0.5, 0.5]);
      // step 1: g' = g + 0.1 w = [0.6, 0.3]; v = g'; w = w - 0.5 v = [0.7, -2.15]
      opt.apply([{ key: 'w', variable: w }], { [w.name]: g }, 0.5);
      assert.deepEqual(Array.from(await w.data()).map((v) => +v.toFixed(6)), [0.7, -2.15]);
      // step 2: g' = [0.57, 0.285]; v = 0.9*[0.6,0.3] + g' = [1.11, 0.555]; w = w - 0.5 v = [0.145, -2.4275]
      opt.apply([{ key: 'w', variable: w }], { [w.name]: g }, 0.5);
      assert.deepEqual(Array.from(await w.data()).map((v) => +v.toFixed(6)), [0.145, -2.4275]);
      const state = opt.state();
      assert.equal(state.step, 2);
      assert.deepEqual(Array.from(await state.slots[0].tensor.data()).map((v) => +v.toFixed(6)), [1.11, 0.555]);
      opt.dispose();
      g.dispose();
      w.dispose();
    });
  });

  it('Adam matches the bias-corrected update', async () => {
    await assertNoLeak(async () => {
      const init = tf.tensor1d([1]);
      const w = tf.variable(init, true, 'w_adam');
      init.dispose();
      const opt = createOptimizer({ kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
      const g = tf.tensor1d([2]);
      // First Adam step moves every weight by lr * sign(g) (m_hat = g, v_hat = g^2).
      opt.apply([{ key: 'w', variable: w }], { [w.name]: g }, 0.01);
      assert.ok(Math.abs((await w.data())[0] - 0.99) < 1e-6);
      opt.dispose();
      g.dispose();
      w.dispose();
    });
  });

  it('restores its slots so a resumed optimizer continues identically', async () => {
    await assertNoLeak(async () => {
      const run = async (split: boolean): Promise<number[]> => {
        const init = tf.tensor1d([1, 2]);
        const w = tf.variable(init, true);
        init.dispose();
        const g = tf.tensor1d([0.3, -0.7]);
        let opt = createOptimizer({ kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 });
        for (let i = 0; i < 4; i++) {
          if (split && i === 2) {
            const { step, slots } = opt.state();
            const copies = new Map(slots.map((s) => [s.name, tf.clone(s.tensor)] as const));
            opt.dispose();
            opt = createOptimizer({ kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 });
            opt.restore(step, copies);
            copies.forEach((t) => t.dispose());
          }
          opt.apply([{ key: 'w', variable: w }], { [w.name]: g }, 0.1);
        }
        const out = Array.from(await w.data());
        opt.dispose();
        g.dispose();
        w.dispose();
        return out;
      };
      assert.deepEqual(await run(true), await run(false));
    });
  });
});
