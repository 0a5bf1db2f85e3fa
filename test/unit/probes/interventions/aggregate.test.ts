import { strict as assert } from 'node:assert';
import type { InterventionModelResult } from '../../../../src/protocol/results';
import { aggregateInterventions, type ModelDescriptor } from '../../../../src/probes/interventions';

function row(modelId: string, asr: number, cleanAccuracy: number, totalVariation: number, targetedAsr: number | null = null): InterventionModelResult {
  return {
    modelId, triggerId: 'square', cleanAccuracy, cleanAccuracyCi95: null, asr, asrDenominator: 10, asrCi95: null, targetedAsr, targetedAsrDenominator: targetedAsr === null ? null : 9,
    histogramClean: [5, 5], histogramTriggered: [8, 2], totalVariation, entropyClean: 0.69, entropyTriggered: 0.5, topClassShareClean: 0.5, topClassShareTriggered: 0.8, topClassTriggered: 0,
  };
}

describe('interventions aggregation', () => {
  const models: ModelDescriptor[] = [
    { id: 'foundation', role: 'foundation', freezeDepth: null, seed: null, sourceId: null },
    { id: 'child-k2-s1', role: 'child', freezeDepth: 2, seed: 1, sourceId: null },
    { id: 'child-k2-s2', role: 'child', freezeDepth: 2, seed: 2, sourceId: null },
    { id: 'child-k2-s3', role: 'child', freezeDepth: 2, seed: 3, sourceId: null },
    { id: 'child-k0-s1', role: 'child', freezeDepth: 0, seed: 1, sourceId: null },
    { id: 'scratch-s1', role: 'scratch', freezeDepth: null, seed: 1, sourceId: null },
    { id: 'scratch-s2', role: 'scratch', freezeDepth: null, seed: 2, sourceId: null },
    { id: 'scratch-s3', role: 'scratch', freezeDepth: null, seed: 3, sourceId: null },
  ];
  const perModel = [
    row('foundation', 0.9, 0.9, 0.5),
    row('child-k2-s1', 0.5, 0.8, 0.3, 0.4), row('child-k2-s2', 0.6, 0.8, 0.3, 0.5), row('child-k2-s3', 0.7, 0.8, 0.3, 0.6),
    row('child-k0-s1', 0.3, 0.9, 0.1, 0.2),
    row('scratch-s1', 0.1, 0.7, 0.1, 0.1), row('scratch-s2', 0.3, 0.7, 0.1, 0.1), row('scratch-s3', 0.2, 0.7, 0.1, 0.1),
  ];
  const result = aggregateInterventions({
    dataset: 'test.csv', testImages: 10, classNames: ['a', 'b'],
    triggers: [{ id: 'square', spec: 'square', kind: 'square', targetClass: 0, example: null }], models, perModel,
  });

  it('gives child minus scratch per freeze depth, paired by seed, with a paired t-test', () => {
    assert.deepEqual(result.transfer.map((t) => t.freezeDepth), [0, 2]);
    const k2 = result.transfer[1];
    assert.equal(k2.asr.child.n, 3);
    assert.ok(Math.abs(k2.asr.child.mean - 0.6) < 1e-12);
    assert.ok(Math.abs(k2.asr.scratch.mean - 0.2) < 1e-12);
    // Differences 0.4, 0.3, 0.5: mean 0.4, std 0.1, t = 0.4 / (0.1 / sqrt 3).
    assert.ok(Math.abs(k2.asr.difference.mean - 0.4) < 1e-12);
    assert.ok(Math.abs(k2.asr.difference.std - 0.1) < 1e-12);
    assert.equal(k2.asr.pairedTest?.test, 'paired-t');
    assert.ok(Math.abs((k2.asr.pairedTest?.statistic ?? 0) - 0.4 / (0.1 / Math.sqrt(3))) < 1e-9);
    assert.equal(k2.asr.pairedTest?.df, 2);
    assert.ok(k2.targetedAsr !== null && Math.abs(k2.targetedAsr.difference.mean - 0.4) < 1e-12);
    // Equal differences make t undefined: the Wilcoxon test answers instead.
    assert.equal(k2.cleanAccuracy.pairedTest?.test, 'wilcoxon-signed-rank');
  });

  it('one pair gives a difference without a test or interval', () => {
    const k0 = result.transfer[0];
    assert.equal(k0.asr.difference.n, 1);
    assert.ok(Math.abs(k0.asr.difference.mean - 0.2) < 1e-12);
    assert.equal(k0.asr.difference.ci95, null);
    assert.equal(k0.asr.pairedTest, null);
  });

  it('keeps every per-model row and the foundation out of the transfer table', () => {
    assert.equal(result.perModel.length, perModel.length);
    assert.ok(result.transfer.every((t) => t.sourceId === null));
  });
});
