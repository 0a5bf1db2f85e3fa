import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dataset } from '../../../../src/engine/data/dataset';
import type { Predictions } from '../../../../src/engine/eval';
import type { LoadedModel } from '../../../../src/engine/model/meta';
import { logits } from '../../../../src/engine/outputs';
import type { AuditModelRef, ProbeContext } from '../../../../src/probes/context';
import { generateStrongStimuli } from '../../../../src/probes/stimuli/generate';
import { distanceToOneHot } from '../../../../src/probes/stimuli/metrics';
import { normalizePixels } from '../../../../src/probes/stimuli/model-input';
import { optimizeStimuli } from '../../../../src/probes/stimuli/optimize';
import { resolveClassMapping, validateStrongStimuliParams } from '../../../../src/probes/stimuli/params';
import { loadStimulusPixels } from '../../../../src/probes/stimuli/png';
import { scoreStimuliOnModel } from '../../../../src/probes/stimuli/score';
import { assertNoLeak, useBackend } from '../../helpers/tf';
import { QUADRANTS, quadrantModel } from './quadrant-model';

const SILENT = { log: () => undefined, progress: () => undefined };

function ref(id: string, role: AuditModelRef['role'], loaded: LoadedModel, freezeDepth: number | null = null): AuditModelRef {
  return { id, role, loaded, hash: id, freezeDepth, seed: 1, sourceId: null };
}

/**
 * Target training data as the scoring sees it: 2 images per class. The context's `predict` returns these
 * constructed softmax rows, so the centroids are known: class 2's is exactly e_2 (no stimulus can beat it),
 * every other class's is uniform (distance sqrt(0.75) from its one-hot).
 */
function fakeTrainingData(): { data: Dataset; predictions: Predictions } {
  const labels = [0, 0, 1, 1, 2, 2, 3, 3];
  const rows = labels.map((label) => (label === 2 ? [0, 0, 1, 0] : [0.25, 0.25, 0.25, 0.25]));
  const data = {
    classNames: QUADRANTS,
    samples: labels.map((label, index) => ({ index, label, sourceLabel: label, attributes: {} })),
    specString: 'fake-train',
    classCounts: [2, 2, 2, 2],
  } as unknown as Dataset;
  return { data, predictions: { numClasses: 4, probabilities: Float32Array.from(rows.flat()), predicted: Int32Array.from(labels), labels: Int32Array.from(labels) } };
}

function fakeContext(predictions: Predictions, calls: string[]): ProbeContext {
  return {
    predict: async (model) => {
      calls.push(model.id);
      return predictions;
    },
    embed: () => Promise.reject(new Error('not used')),
    log: () => undefined,
    progress: () => undefined,
  };
}

describe('probes/stimuli steps: generate, save, score', () => {
  before(() => useBackend('cpu'));
  let runDir: string;
  beforeEach(async () => {
    runDir = await mkdtemp(join(tmpdir(), 'bias-audit-stimuli-'));
  });
  afterEach(() => rm(runDir, { recursive: true, force: true }));

  const { params } = validateStrongStimuliParams(
    { steps: 30, learningRate: 0.1, jitterPixels: 1, rotationDegrees: 5, scaleRange: [0.95, 1.05], parameterization: 'pixel' },
    { foundationClassNames: QUADRANTS, foundationInputShape: [10, 10, 1] },
  );

  it('saves one lossless PNG per class, with relative paths and every parameter recorded', async () => {
    const foundation = quadrantModel();
    const set = await assertNoLeak(() => generateStrongStimuli(SILENT, foundation, params, { dir: join(runDir, 'stimuli'), relativeDir: 'stimuli' }));
    assert.deepEqual((await readdir(join(runDir, 'stimuli'))).sort(), ['class-000.png', 'class-001.png', 'class-002.png', 'class-003.png']);
    assert.deepEqual(set.stimuli.map((s) => s.image), ['stimuli/class-000.png', 'stimuli/class-001.png', 'stimuli/class-002.png', 'stimuli/class-003.png']);
    assert.deepEqual(set.stimuli.map((s) => s.className), QUADRANTS);
    assert.deepEqual(set.foundationClassNames, QUADRANTS);
    assert.equal(set.params.steps, 30);
    assert.deepEqual(set.params.imageSize, [10, 10]);
    assert.deepEqual(set.params.classes, [0, 1, 2, 3]);
    assert.equal(set.params.parameterization, 'pixel');
    assert.equal(set.params.optimizer, 'adam');
    assert.match(set.params.notes?.join(' ') ?? '', /logsoftmax of the class - 0.1 \* mean/);
    // The PNG holds exactly the optimised 8-bit pixels.
    const inMemory = await optimizeStimuli(SILENT, foundation, params);
    for (let i = 0; i < 4; i++) {
      const decoded = await loadStimulusPixels(join(runDir, set.stimuli[i].image), 10, 10, 1);
      assert.deepEqual(Array.from(decoded), Array.from(inMemory[i].pixels), `class ${i}`);
      assert.ok(set.stimuli[i].foundationConfidence > 0.9);
    }
    foundation.model.dispose();
  });

  it('scores stimuli on a model by the centroid rule, with own-target hits and the label mode', async () => {
    const foundation = quadrantModel();
    const set = await generateStrongStimuli(SILENT, foundation, params, { dir: join(runDir, 'stimuli'), relativeDir: 'stimuli' });
    const { data, predictions } = fakeTrainingData();
    const calls: string[] = [];
    const child = ref('child-k1-s1', 'child', quadrantModel(), 1);
    const mapping = resolveClassMapping(QUADRANTS, QUADRANTS, null);
    const result = await assertNoLeak(() => scoreStimuliOnModel(fakeContext(predictions, calls), child, { stimulusSet: set, runDir, targetTrain: data, mapping }));
    assert.deepEqual(calls, ['child-k1-s1']);
    assert.deepEqual(result.predictedLabels, [0, 1, 2, 3]);
    assert.equal(result.ownTargetHits, 4);
    assert.deepEqual(result.outperforms, [true, true, false, true]);
    assert.equal(result.outperformingCount, 3);
    assert.deepEqual(result.labelMode, { label: 0, name: 'top-left', count: 1, share: 0.25 });
    assert.deepEqual(result.centroidDistance?.map((d) => Number(d.toFixed(6))), [Math.sqrt(0.75), Math.sqrt(0.75), 0, Math.sqrt(0.75)].map((d) => Number(d.toFixed(6))));
    // The stimulus distance is ||softmax(child(stimulus)) - e_t|| recomputed here from the saved PNG.
    for (let t = 0; t < 4; t++) {
      const pixels = await loadStimulusPixels(join(runDir, set.stimuli[t].image), 10, 10, 1);
      const p = tf.tidy(() => tf.softmax(logits(child.loaded.model, normalizePixels(tf.tensor4d(pixels, [1, 10, 10, 1]), child.loaded.meta.normalization))));
      const expected = distanceToOneHot(p.dataSync(), t);
      p.dispose();
      assert.ok(Math.abs(result.stimulusDistance![t] - expected) < 1e-6);
    }
    foundation.model.dispose();
    child.loaded.model.dispose();
  });

  it('reports the label mode of a child that maps every stimulus to one class, and a child with permuted classes', async () => {
    const foundation = quadrantModel();
    const set = await generateStrongStimuli(SILENT, foundation, params, { dir: join(runDir, 'stimuli'), relativeDir: 'stimuli' });
    const { data, predictions } = fakeTrainingData();
    const mapping = resolveClassMapping(QUADRANTS, QUADRANTS, null);
    // A large bias on class 0 outweighs any quadrant evidence (at most 0.15 * 25 * 2 = 7.5 per logit).
    const biased = quadrantModel({ bias: [30, 0, 0, 0] });
    const toOne = await scoreStimuliOnModel(fakeContext(predictions, []), ref('child-k2-s1', 'child', biased, 2), { stimulusSet: set, runDir, targetTrain: data, mapping });
    assert.deepEqual(toOne.predictedLabels, [0, 0, 0, 0]);
    assert.deepEqual(toOne.labelMode, { label: 0, name: 'top-left', count: 4, share: 1 });
    assert.deepEqual(toOne.labelCounts, [{ label: 0, name: 'top-left', count: 4 }]);
    assert.equal(toOne.ownTargetHits, 1);
    // Class c of this child reads quadrant order[c], so the stimulus bright in quadrant q is predicted as order.indexOf(q).
    const permuted = quadrantModel({ order: [1, 2, 3, 0] });
    const result = await scoreStimuliOnModel(fakeContext(predictions, []), ref('scratch-s1', 'scratch', permuted), { stimulusSet: set, runDir, targetTrain: data, mapping });
    assert.deepEqual(result.predictedLabels, [3, 0, 1, 2]);
    assert.equal(result.ownTargetHits, 0);
    assert.equal(result.outperformingCount, 0);
    [foundation, biased, permuted].forEach((m) => m.model.dispose());
  });

  it('reports only label modes without a class mapping and never asks for centroids', async () => {
    const foundation = quadrantModel();
    const set = await generateStrongStimuli(SILENT, foundation, params, { dir: join(runDir, 'stimuli'), relativeDir: 'stimuli' });
    const calls: string[] = [];
    const { data, predictions } = fakeTrainingData();
    const mapping = resolveClassMapping(QUADRANTS, ['x', 'y'], null);
    assert.equal(mapping.kind, 'none');
    const result = await scoreStimuliOnModel(fakeContext(predictions, calls), ref('child', 'child', foundation, 1), { stimulusSet: set, runDir, targetTrain: data, mapping });
    assert.deepEqual(calls, []);
    assert.equal(result.outperforms, null);
    assert.equal(result.outperformingCount, null);
    assert.equal(result.ownTargetHits, null);
    assert.equal(result.stimulusDistance, null);
    assert.equal(result.labelCounts.reduce((s, c) => s + c.count, 0), 4);
    foundation.model.dispose();
  });

  it('names the stimulus file when it is missing', async () => {
    const foundation = quadrantModel();
    const set = await generateStrongStimuli(SILENT, foundation, { ...params, classes: [1] }, { dir: join(runDir, 'stimuli'), relativeDir: 'stimuli' });
    await rm(join(runDir, 'stimuli', 'class-001.png'));
    const { data, predictions } = fakeTrainingData();
    await assert.rejects(
      scoreStimuliOnModel(fakeContext(predictions, []), ref('child', 'child', foundation, 1), { stimulusSet: set, runDir, targetTrain: data, mapping: resolveClassMapping(QUADRANTS, QUADRANTS, null) }),
      (e: Error) => e.name === 'AuditError' && e.message.includes('class-001.png'),
    );
    foundation.model.dispose();
  });
});
