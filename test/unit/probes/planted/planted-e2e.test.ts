import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { loadTrigger } from '../../../../src/probes/triggers/trigger';
import { useBackend } from '../../helpers/tf';
import { runTinyPlantedExperiment } from './experiment';

/**
 * Salman et al. section 3, end to end at a tiny scale with real training: a source pretrained with the
 * paper's yellow square planted in half of one class's images (labels unchanged) and its clean twin (same
 * data, recipe and seed), fixed-feature children of both on disjoint target classes, and the square's
 * ASR on the target test set. The paper's direction: children of the planted source are more sensitive.
 * (On this configuration the margin was 0.2-0.28 per seed when it was chosen; the test asserts the direction only.)
 */
describe('planted bias end to end (tiny, real training)', function () {
  // Training time is measured in benchmarks, never asserted; the limit only stops a hung run.
  this.timeout(20 * 60_000);
  before(() => useBackend('wasm'));

  it('children of the planted source have a higher ASR for the planted trigger than children of the clean source', async () => {
    const before = tf.memory().numTensors;
    const trigger = await loadTrigger('square:size=0.25,color=#ffff00,position=top-left');
    const seeds = [1, 2, 3];
    const run = await runTinyPlantedExperiment({
      trigger, inputSize: 16, width: 4, sourcePerClass: 60, targetPerClass: 30, testPerClass: 30, plantClass: 0, plantFraction: 0.5,
      sourceRecipe: { epochs: 8, batchSize: 32, learningRate: 0.1 }, childRecipe: { epochs: 20, batchSize: 32, learningRate: 0.05 },
      seeds, transfers: ['fixed-feature'], debiased: false, scratch: false,
    });
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
    const measure = new Map(run.measures.map((m) => [m.modelId, m]));
    // The backdoor is in the planted source: its targeted ASR towards the plant class beats the clean twin's.
    const plantedSource = measure.get('source-planted');
    const cleanSource = measure.get('source-clean');
    assert.ok(plantedSource && cleanSource);
    assert.ok((plantedSource.targetedAsr as number) > (cleanSource.targetedAsr as number), `source targeted ASR ${plantedSource.targetedAsr} vs ${cleanSource.targetedAsr}`);
    const asrOf = (sourceId: string, seed: number): number => {
      const child = run.children.find((c) => c.sourceId === sourceId && c.seed === seed);
      assert.ok(child, `child of ${sourceId} for seed ${seed}`);
      return (measure.get(child.id) as { asr: number }).asr;
    };
    const planted = seeds.map((s) => asrOf('planted', s));
    const clean = seeds.map((s) => asrOf('clean', s));
    seeds.forEach((s, i) => assert.ok(planted[i] > clean[i], `seed ${s}: planted-source child ASR ${planted[i]} <= clean-source child ASR ${clean[i]}`));
    // The children learned the target task (the ASR is conditioned on being right, so a broken child would not count).
    for (const c of run.children) assert.ok((measure.get(c.id) as { cleanAccuracy: number }).cleanAccuracy > 0.35, `${c.id} clean accuracy`);
  });
});
