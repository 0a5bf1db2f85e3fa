import { strict as assert } from 'node:assert';
import { aggregatePlantedBias, type PlantedChild, type PlantedModelMeasure } from '../../../../src/probes/planted';
import { DEFAULT_PLANTED_BIAS_PARAMS } from '../../../../src/probes/planted-params';

const m = (modelId: string, asr: number): PlantedModelMeasure => ({ modelId, asr, asrDenominator: 100, cleanAccuracy: 0.8, targetedAsr: null });

describe('planted-bias aggregation', () => {
  const children: PlantedChild[] = [];
  const measures: PlantedModelMeasure[] = [m('source-planted', 0.9), m('source-clean', 0.1)];
  // ASR by (source, transfer, target data) for seeds 1 and 2.
  const asr: Record<string, [number, number]> = {
    'planted|fixed-feature|clean': [0.6, 0.7],
    'planted|full-network|clean': [0.4, 0.5],
    'clean|fixed-feature|clean': [0.2, 0.3],
    'clean|full-network|clean': [0.1, 0.2],
    'planted|fixed-feature|debiased': [0.55, 0.6],
    'planted|full-network|debiased': [0.1, 0.1],
  };
  for (const [key, values] of Object.entries(asr)) {
    const [sourceId, transfer, targetData] = key.split('|') as ['planted' | 'clean', 'fixed-feature' | 'full-network', 'clean' | 'debiased'];
    values.forEach((v, i) => {
      const id = `${key}-s${i + 1}`;
      children.push({ id, sourceId, transfer, freezeDepth: transfer === 'fixed-feature' ? 4 : 0, seed: i + 1, targetData });
      measures.push(m(id, v));
    });
  }
  measures.push(m('scratch-s1', 0.15), m('scratch-s2', 0.25));
  const result = aggregatePlantedBias({
    params: { ...DEFAULT_PLANTED_BIAS_PARAMS, plantClass: 3 }, plantClass: 3, plantClassName: 'dress',
    sources: [{ sourceId: 'planted', modelId: 'source-planted' }, { sourceId: 'clean', modelId: 'source-clean' }],
    children, scratch: [{ id: 'scratch-s1', seed: 1 }, { id: 'scratch-s2', seed: 2 }], measures,
  });

  it('has one row per source x transfer x target data over seeds', () => {
    assert.equal(result.rows.length, 6);
    const row = result.rows.find((r) => r.sourceId === 'planted' && r.transfer === 'fixed-feature' && r.targetData === 'clean');
    assert.ok(row);
    assert.ok(Math.abs(row.asr.mean - 0.65) < 1e-12);
    assert.equal(row.asr.n, 2);
    assert.equal(row.freezeDepth, 4);
    assert.deepEqual(result.sources.map((s) => s.asr), [0.9, 0.1]);
    assert.ok(Math.abs(result.scratch.asr.mean - 0.2) < 1e-12);
  });

  it('compares planted with clean sources, scratch, transfer kinds and de-biasing, paired by seed', () => {
    const byLabel = new Map(result.comparisons.map((c) => [c.label, c]));
    const plantedVsClean = byLabel.get('ASR: planted-source minus clean-source children (fixed-feature, clean target)');
    assert.ok(plantedVsClean && Math.abs(plantedVsClean.difference.mean - 0.4) < 1e-12);
    const debias = byLabel.get('ASR reduction by de-biasing: full-network minus fixed-feature (planted source)');
    // full-network reductions 0.3, 0.4; fixed-feature 0.05, 0.1: differences 0.25, 0.3.
    assert.ok(debias && Math.abs(debias.difference.mean - 0.275) < 1e-12);
    assert.equal(result.comparisons.length, 8);
  });

  it('checks each expectation on the numbers and says when one fails', () => {
    assert.equal(result.expectations.length, 6);
    assert.ok(result.expectations.every((e) => e.holds), JSON.stringify(result.expectations));
    assert.match(result.expectations[0].statement, /fixed-feature children of the planted source have a higher ASR than children of the clean source \(65\.0% vs 25\.0%\)/);
    // Swap the sources: the first expectation must now fail.
    const swapped = aggregatePlantedBias({
      params: { ...DEFAULT_PLANTED_BIAS_PARAMS, plantClass: 3 }, plantClass: 3, plantClassName: 'dress',
      sources: [{ sourceId: 'planted', modelId: 'source-planted' }, { sourceId: 'clean', modelId: 'source-clean' }],
      children: children.map((c) => ({ ...c, sourceId: c.targetData === 'clean' ? (c.sourceId === 'planted' ? 'clean' : 'planted') : c.sourceId })),
      scratch: [{ id: 'scratch-s1', seed: 1 }, { id: 'scratch-s2', seed: 2 }], measures,
    });
    assert.equal(swapped.expectations[0].holds, false);
  });
});
