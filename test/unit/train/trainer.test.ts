import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveRecipe } from '../../../src/engine/train/recipe';
import { TensorSource } from '../../../src/engine/train/source';
import { train, type TrainProgress } from '../../../src/engine/train/trainer';
import { AuditError, CancelledError } from '../../../src/engine/util/errors';
import { Random } from '../../../src/engine/util/random';
import { assertNoLeak, useBackend } from '../helpers/tf';

/** Three Gaussian blobs in 4-D: learnable to ~100% by a small MLP. */
function blobs(n: number, seed: number): { x: tf.Tensor2D; y: Int32Array } {
  const rng = new Random(seed);
  const centres = [[2, 0, 0, 1], [-2, 1, 0, 0], [0, -2, 2, 0]];
  const xs: number[] = [];
  const ys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    ys[i] = c;
    for (let d = 0; d < 4; d++) xs.push(centres[c][d] + 0.5 * rng.normal());
  }
  return { x: tf.tensor2d(xs, [n, 4]), y: ys };
}

function mlp(seed: number, softmaxHead = false): tfl.LayersModel {
  const input = tfl.input({ shape: [4] });
  const h = tfl.layers.dense({ units: 8, activation: 'relu', name: 'hidden', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }).apply(input) as tfl.SymbolicTensor;
  const bn = tfl.layers.batchNormalization({ name: 'bn' }).apply(h) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3, name: 'head', activation: softmaxHead ? 'softmax' : 'linear', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }).apply(bn) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

async function weightsOf(model: tfl.LayersModel): Promise<number[][]> {
  return Promise.all(model.weights.map(async (w) => Array.from(await w.read().data())));
}

describe('trainer', () => {
  let dir: string;
  before(() => useBackend('cpu'));
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trainer-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const recipe = resolveRecipe({ epochs: 4, batchSize: 16, learningRate: 0.1, schedule: 'cyclic', peakEpoch: 1, keepBest: true });

  it('TensorSource batches are the shuffled rows of its features (what tf.gather gives), labels alongside, without leaks', async () => {
    const features = tf.tensor4d(Float32Array.from({ length: 37 * 2 * 3 * 2 }, (_, i) => i * 0.5 - 7), [37, 2, 3, 2]);
    const labels = Int32Array.from({ length: 37 }, (_, i) => (i * 7) % 5);
    const source = new TensorSource(features, labels, 8, 3);
    await assertNoLeak(async () => {
      const seen: number[] = [];
      for await (const { x, y, indices } of source.epoch(1, true)) {
        const expected = tf.tidy(() => tf.gather(features, tf.tensor1d(indices, 'int32')));
        assert.deepEqual(x.shape, expected.shape);
        assert.deepEqual(Array.from(await x.data()), Array.from(await expected.data()));
        assert.deepEqual(Array.from(await y.data()), indices.map((i) => labels[i]));
        seen.push(...indices);
        tf.dispose([x, y, expected]);
      }
      assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 37 }, (_, i) => i));
      assert.notDeepEqual(seen, Array.from({ length: 37 }, (_, i) => i), 'shuffled');
    });
    features.dispose();
  });


  it('learns a separable task, reports progress, validates each epoch and leaks no tensor', async () => {
    const data = blobs(192, 1);
    const val = blobs(60, 2);
    const trainSource = new TensorSource(data.x, data.y, 16, 7);
    const valSource = new TensorSource(val.x, val.y, 32, 7);
    const model = mlp(3);
    const events: TrainProgress[] = [];
    const result = await assertNoLeak(() => train({ model, train: trainSource, val: valSource, numClasses: 3, recipe, seed: 5, onProgress: (p) => events.push(p) }));
    assert.equal(result.history.length, 4);
    assert.ok(result.history[3].trainLoss < result.history[0].trainLoss, 'loss decreases');
    assert.ok(result.bestValAccuracy! >= 0.9, `val accuracy ${result.bestValAccuracy}`);
    const batchEvents = events.filter((e) => e.phase === 'batch');
    assert.equal(batchEvents.length, 4 * 12);
    assert.equal(events.filter((e) => e.phase === 'epoch').length, 4);
    assert.ok(batchEvents.every((e) => e.imagesPerSecond > 0 && e.etaSeconds >= 0));
    assert.equal(batchEvents[batchEvents.length - 1].etaSeconds, 0);
    trainSource.dispose();
    valSource.dispose();
    model.dispose();
  });

  it('trains only trainable layers: frozen weights stay bit-identical', async () => {
    const data = blobs(96, 3);
    const source = new TensorSource(data.x, data.y, 16, 1);
    const model = mlp(4);
    model.getLayer('hidden').trainable = false;
    const byName = async (): Promise<Map<string, number[]>> => new Map((await weightsOf(model)).map((v, i) => [model.weights[i].originalName, v]));
    const before = await byName();
    await train({ model, train: source, numClasses: 3, recipe: resolveRecipe({ ...recipe, epochs: 1 }), seed: 1 });
    const after = await byName();
    assert.deepEqual(after.get('hidden/kernel'), before.get('hidden/kernel'), 'hidden kernel unchanged');
    assert.deepEqual(after.get('hidden/bias'), before.get('hidden/bias'), 'hidden bias unchanged');
    assert.notDeepEqual(after.get('head/kernel'), before.get('head/kernel'), 'head kernel changed');
    source.dispose();
    model.dispose();
  });

  it('a run killed after epoch 2 and resumed equals an uninterrupted run', async () => {
    const data = blobs(96, 4);
    const val = blobs(30, 5);
    const straight = async (): Promise<number[][]> => {
      const source = new TensorSource(data.x.clone(), data.y, 16, 9);
      const valSource = new TensorSource(val.x.clone(), val.y, 30, 9);
      const model = mlp(6);
      await train({ model, train: source, val: valSource, numClasses: 3, recipe, seed: 2 });
      const w = await weightsOf(model);
      source.dispose();
      valSource.dispose();
      model.dispose();
      return w;
    };
    const reference = await straight();
    // Interrupted: cancel during epoch 3 (after the epoch-2 checkpoint), then resume in a fresh model.
    const controller = new AbortController();
    const source = new TensorSource(data.x.clone(), data.y, 16, 9);
    const valSource = new TensorSource(val.x.clone(), val.y, 30, 9);
    const first = mlp(6);
    await assert.rejects(
      train({
        model: first, train: source, val: valSource, numClasses: 3, recipe, seed: 2, checkpointDir: dir, signal: controller.signal,
        onProgress: (p) => { if (p.epoch === 2 && p.batch === 3) controller.abort(); },
      }),
      CancelledError,
    );
    await stat(join(dir, 'last', 'checkpoint.json'));
    const resumed = mlp(99); // different init: everything must come from the checkpoint
    const result = await train({ model: resumed, train: source, val: valSource, numClasses: 3, recipe, seed: 2, checkpointDir: dir, resume: true });
    assert.equal(result.startEpoch, 2);
    assert.equal(result.history.length, 4);
    assert.deepEqual(await weightsOf(resumed), reference);
    source.dispose();
    valSource.dispose();
    first.dispose();
    resumed.dispose();
    data.x.dispose();
    val.x.dispose();
  });

  it('refuses to resume from another run\'s checkpoint', async () => {
    const data = blobs(48, 6);
    const source = new TensorSource(data.x, data.y, 16, 1);
    const model = mlp(7);
    await train({ model, train: source, numClasses: 3, recipe: resolveRecipe({ ...recipe, epochs: 1 }), seed: 1, checkpointDir: dir });
    await assert.rejects(
      train({ model, train: source, numClasses: 3, recipe: resolveRecipe({ ...recipe, epochs: 1 }), seed: 2, checkpointDir: dir, resume: true }),
      (e: unknown) => e instanceof AuditError && e.code === 'CHECKPOINT_MISMATCH',
    );
    source.dispose();
    model.dispose();
  });

  it('stops with a clear error when the loss becomes NaN', async () => {
    const data = blobs(48, 7);
    // An overflowing input (a corrupt image, a huge learning rate) makes the loss non-finite.
    const x = tf.tidy(() => tf.mul(data.x, Infinity));
    data.x.dispose();
    const source = new TensorSource(x, data.y, 16, 1);
    const model = mlp(8);
    const before = tf.memory().numTensors;
    await assert.rejects(
      train({ model, train: source, numClasses: 3, recipe: resolveRecipe({ ...recipe, epochs: 1 }), seed: 1 }),
      (e: unknown) => e instanceof AuditError && e.code === 'NAN_LOSS' && /lower the learning rate/.test(e.message),
    );
    assert.equal(tf.memory().numTensors, before, 'no tensor leaked on the error path');
    source.dispose();
    model.dispose();
  });

  it('trains a model whose head ends in softmax (Keras-converted style) on true logits', async () => {
    const data = blobs(96, 8);
    const source = new TensorSource(data.x, data.y, 16, 1);
    const model = mlp(9, true);
    const result = await train({ model, train: source, val: source, numClasses: 3, recipe, seed: 1 });
    assert.ok(result.bestValAccuracy! >= 0.9, `accuracy ${result.bestValAccuracy}`);
    source.dispose();
    model.dispose();
  });
});
