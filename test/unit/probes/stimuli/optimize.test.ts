import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { logits } from '../../../../src/engine/outputs';
import { CancelledError } from '../../../../src/engine/util/errors';
import { normalizePixels } from '../../../../src/probes/stimuli/model-input';
import { type StimulusRunContext, optimizeStimuli } from '../../../../src/probes/stimuli/optimize';
import { type StrongStimuliParams, validateStrongStimuliParams } from '../../../../src/probes/stimuli/params';
import { assertNoLeak, useBackend } from '../../helpers/tf';
import { QUADRANTS, quadrantMeans, quadrantModel } from './quadrant-model';

const SILENT: StimulusRunContext = { log: () => undefined, progress: () => undefined };

function paramsFor(overrides: Partial<StrongStimuliParams>, shape: [number, number, number] = [10, 10, 1]) {
  return validateStrongStimuliParams(
    { steps: 40, learningRate: 0.1, jitterPixels: 1, rotationDegrees: 5, scaleRange: [0.95, 1.05], batchSize: 4, ...overrides },
    { foundationClassNames: QUADRANTS, foundationInputShape: shape },
  ).params;
}

/** Mean log-softmax of each class over seeded uniform-noise images: what an unoptimised image scores. */
function randomImageScores(model: ReturnType<typeof quadrantModel>, count: number): number[] {
  const [height, width, channels] = model.meta.inputShape;
  const scores = tf.tidy(() => {
    const noise = tf.randomUniform([count, height, width, channels], 0, 255, 'float32', 11) as tf.Tensor4D;
    return tf.mean(tf.logSoftmax(logits(model.model, normalizePixels(noise, model.meta.normalization))), 0);
  });
  const values = Array.from(scores.dataSync());
  scores.dispose();
  return values;
}

describe('probes/stimuli optimisation', () => {
  before(() => useBackend('cpu'));

  it('raises each class score far above a random image and draws what the model looks for', async () => {
    const model = quadrantModel();
    const first = await assertNoLeak(() => optimizeStimuli(SILENT, model, paramsFor({ parameterization: 'pixel', l2Penalty: 0.05, totalVariationPenalty: 0.05 })));
    const random = randomImageScores(model, 32);
    assert.deepEqual(first.map((s) => s.foundationClass), [0, 1, 2, 3]);
    for (const s of first) {
      const t = s.foundationClass;
      // Noise scores about log(1/4) = -1.39 (log-softmax); the stimulus must be e times as probable and near-certain.
      assert.ok(s.finalScore > random[t] + 1, `class ${t}: stimulus scores ${s.finalScore}, random images ${random[t]}`);
      assert.ok(s.finalScore > s.initialScore + 1, `class ${t}: ${s.initialScore} -> ${s.finalScore}`);
      assert.ok(s.foundationConfidence > 0.9, `class ${t}: confidence ${s.foundationConfidence}`);
      assert.equal(s.foundationPredicted, t);
      const means = quadrantMeans(s.pixels, 10, 1);
      const others = means.filter((_, q) => q !== t);
      assert.ok(others.every((m) => means[t] > m + 100), `class ${t}: quadrant means ${means.map((m) => m.toFixed(0)).join(', ')}`);
      assert.equal(s.pixels.length, 100);
    }
    model.model.dispose();
  });

  it('is deterministic for a seed, whatever the batching, and a different seed gives a different stimulus', async () => {
    const model = quadrantModel();
    const first = await optimizeStimuli(SILENT, model, paramsFor({ parameterization: 'pixel', l2Penalty: 0.05, totalVariationPenalty: 0.05 }));
    const again = await optimizeStimuli(SILENT, model, paramsFor({ parameterization: 'pixel', l2Penalty: 0.05, totalVariationPenalty: 0.05, batchSize: 3 }));
    for (let i = 0; i < 4; i++) assert.deepEqual(Array.from(again[i].pixels), Array.from(first[i].pixels), `class ${i}`);
    const other = await optimizeStimuli(SILENT, model, paramsFor({ parameterization: 'pixel', l2Penalty: 0.05, totalVariationPenalty: 0.05, seed: 5, classes: [2] }));
    assert.equal(other.length, 1);
    assert.equal(other[0].foundationClass, 2);
    assert.notDeepEqual(Array.from(other[0].pixels), Array.from(first[2].pixels));
    model.model.dispose();
  });

  it('works with the Fourier and decorrelated-colour parameterisation on an RGB model', async () => {
    const model = quadrantModel({ channels: 3 });
    const stimuli = await assertNoLeak(() => optimizeStimuli(SILENT, model, paramsFor({ parameterization: 'fourier-decorrelated', classes: [0, 3] }, [10, 10, 3])));
    const random = randomImageScores(model, 32);
    for (const s of stimuli) {
      assert.equal(s.pixels.length, 300);
      assert.ok(s.finalScore > random[s.foundationClass] + 1, `class ${s.foundationClass}: ${s.finalScore} vs random ${random[s.foundationClass]}`);
      assert.equal(s.foundationPredicted, s.foundationClass);
    }
    model.model.dispose();
  });

  it('leaves no tensor behind when cancelled mid-way', async () => {
    const model = quadrantModel();
    const controller = new AbortController();
    let steps = 0;
    const ctx: StimulusRunContext = {
      signal: controller.signal,
      log: () => undefined,
      progress: () => {
        if (++steps === 3) controller.abort();
      },
    };
    await assertNoLeak(() => assert.rejects(optimizeStimuli(ctx, model, paramsFor({})), CancelledError));
    assert.equal(steps, 3);
    model.model.dispose();
  });
});
