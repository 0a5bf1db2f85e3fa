// Pooling gradients on wasm: the project's MaxPoolGrad and AvgPoolGrad (both stock ones are wrong), against
// finite differences and the cpu backend over a grid of window sizes, strides and paddings.
//
// Reference policy: the cpu backend's AvgPoolGrad shares the stock mistake (border windows under 'same'
// padding divided by the full window size instead of the count the forward pass averaged), so average
// pooling is compared with cpu only under 'valid' padding; finite differences check every case.
import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { avgPoolGradConfig } from '../../../src/engine/backend/kernels/avg-pool-grad';
import { maxPoolGradConfig } from '../../../src/engine/backend/kernels/max-pool-grad';
import { registerProjectWasmKernels, restoreStockWasmKernels } from '../../../src/engine/backend/kernels/register-wasm-kernels';
import { finiteDifferenceError, type InputSpec, randomInput, relativeError, runOnBackend, separatedInput, useBackend } from '../helpers/tf';

interface PoolCase {
  input: [number, number, number, number];
  window: number;
  stride: number;
  pad: 'same' | 'valid';
}

const grid: PoolCase[] = [];
for (const stride of [1, 2]) {
  for (const pad of ['same', 'valid'] as const) {
    for (const window of [1, 2, 3, 7]) {
      for (const input of [[2, 9, 11, 3], [1, 8, 8, 4]] as [number, number, number, number][]) {
        grid.push({ input, window, stride, pad });
      }
    }
  }
}

type Pool = 'maxPool' | 'avgPool';

function pooled(kind: Pool, c: PoolCase, x: tf.Tensor): tf.Tensor4D {
  return tf[kind](x as tf.Tensor4D, c.window, c.stride, c.pad);
}

function poolGradient(kind: Pool, c: PoolCase) {
  return (x: tf.Tensor, r: tf.Tensor) => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(pooled(kind, c, a), r)))(x);
}

function outputShape(kind: Pool, c: PoolCase): number[] {
  return tf.tidy(() => pooled(kind, c, tf.zeros(c.input)).shape);
}

async function compareWithCpu(kind: Pool, c: PoolCase, x: InputSpec, seed: number): Promise<number> {
  await tf.setBackend('wasm');
  const r = randomInput(outputShape(kind, c), seed);
  const [wasm] = await runOnBackend('wasm', [x, r], poolGradient(kind, c));
  const [cpu] = await runOnBackend('cpu', [x, r], poolGradient(kind, c));
  return relativeError(wasm, cpu);
}

describe('wasm pooling gradients', function () {
  before(async () => {
    await useBackend('wasm');
  });
  after(async () => {
    registerProjectWasmKernels();
    await tf.setBackend('wasm');
  });

  it('registers the project MaxPoolGrad and AvgPoolGrad on wasm', () => {
    assert.equal(tf.getKernel('MaxPoolGrad', 'wasm')?.kernelFunc, maxPoolGradConfig.kernelFunc);
    assert.equal(tf.getKernel('AvgPoolGrad', 'wasm')?.kernelFunc, avgPoolGradConfig.kernelFunc);
  });

  it('the forward average pool excludes padding on wasm as on cpu (so its gradient must too)', async () => {
    const x = randomInput([1, 5, 5, 2], 1);
    const forward = (xt: tf.Tensor) => tf.avgPool(xt as tf.Tensor4D, 3, 1, 'same');
    const [wasm] = await runOnBackend('wasm', [x], forward);
    const [cpu] = await runOnBackend('cpu', [x], forward);
    assert.ok(relativeError(wasm, cpu) < 1e-6);
  });

  for (const kind of ['maxPool', 'avgPool'] as const) {
    grid.forEach((c, index) => {
      const name = `${kind} x ${c.input.join('x')}, window ${c.window}, stride ${c.stride}, pad ${c.pad}`;
      if (kind === 'maxPool' || c.pad === 'valid') {
        it(`${name}: matches the cpu backend, also when every value is negative`, async () => {
          const mixed = await compareWithCpu(kind, c, separatedInput(c.input, index), 50 + index);
          const negative = await compareWithCpu(kind, c, separatedInput(c.input, index, 0.01, -20), 60 + index);
          assert.ok(mixed < 1e-6, `error ${mixed}`);
          assert.ok(negative < 1e-6, `all-negative error ${negative}`);
        });
      }

      it(`${name}: matches finite differences`, async () => {
        await tf.setBackend('wasm');
        const r = tf.tensor(randomInput(outputShape(kind, c), 70 + index).values, outputShape(kind, c));
        try {
          // Max pool: values 0.01 apart and a 2e-3 step, so no window changes its maximum during the check.
          // Average pool is linear: a large step keeps float32 rounding of the averages out of the estimate.
          const terms = (x: tf.Tensor): tf.Tensor => tf.mul(pooled(kind, c, x), r);
          const step = kind === 'maxPool' ? 2e-3 : 0.1;
          const error = finiteDifferenceError(terms, [separatedInput(c.input, index, 0.01, -1)], { step, coordinates: 24, seed: index });
          assert.ok(error < 2e-3, `finite-difference error ${error}`);
        } finally {
          r.dispose();
        }
      });
    });
  }

  it('max pool gives a tied window gradient to its first maximum, as the cpu backend does', async () => {
    const tied: InputSpec = { shape: [1, 4, 4, 2], values: new Float32Array(32).fill(-1) };
    const c: PoolCase = { input: [1, 4, 4, 2], window: 3, stride: 1, pad: 'same' };
    const r = randomInput(outputShape('maxPool', c), 5);
    const [wasm] = await runOnBackend('wasm', [tied, r], poolGradient('maxPool', c));
    const [cpu] = await runOnBackend('cpu', [tied, r], poolGradient('maxPool', c));
    // Sums of several windows' gradients differ in rounding only; a misrouted tie would differ by O(1).
    assert.ok(relativeError(wasm, cpu) < 1e-6, `error ${relativeError(wasm, cpu)}`);
  });

  it('the stock wasm MaxPoolGrad still loses all-negative windows (why the project registers its own)', async () => {
    const c: PoolCase = { input: [1, 6, 6, 3], window: 2, stride: 2, pad: 'valid' };
    const negative = separatedInput(c.input, 3, 0.01, -5);
    restoreStockWasmKernels();
    try {
      const error = await compareWithCpu('maxPool', c, negative, 9);
      assert.ok(error > 0.1, `stock MaxPoolGrad now agrees with cpu (error ${error}): the replacement may be unnecessary`);
    } finally {
      registerProjectWasmKernels();
    }
    assert.ok((await compareWithCpu('maxPool', c, negative, 9)) < 1e-6);
  });

  it('the stock wasm AvgPoolGrad mis-scales border windows under same padding (why the project registers its own)', async () => {
    const c: PoolCase = { input: [1, 5, 5, 2], window: 3, stride: 1, pad: 'same' };
    const terms = (r: tf.Tensor) => (x: tf.Tensor): tf.Tensor => tf.mul(pooled('avgPool', c, x), r);
    await tf.setBackend('wasm');
    const r = tf.tensor(randomInput(outputShape('avgPool', c), 4).values, outputShape('avgPool', c));
    const x = randomInput(c.input, 8);
    try {
      restoreStockWasmKernels();
      let stockError: number;
      try {
        stockError = finiteDifferenceError(terms(r), [x], { coordinates: 24 });
      } finally {
        registerProjectWasmKernels();
      }
      assert.ok(stockError > 0.1, `stock AvgPoolGrad now agrees with finite differences (error ${stockError})`);
      assert.ok(finiteDifferenceError(terms(r), [x], { coordinates: 24 }) < 1e-3);
    } finally {
      r.dispose();
    }
  });
});
