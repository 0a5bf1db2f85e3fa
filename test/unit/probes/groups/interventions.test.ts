import { strict as assert } from 'node:assert';
import { AuditError } from '../../../../src/engine/util/errors';
import {
  cellCounts, maxResampleSize, phiCorrelation, planFinetuningInterventions, resampleToCorrelation, reweightingWeights, type BinaryCoding,
} from '../../../../src/probes/groups-interventions';
import { DEFAULT_GROUP_DISPARITY_PARAMS } from '../../../../src/probes/groups-params';

/** Binary label x binary attribute with 90% agreement: 180 (1, yes), 20 (1, no), 20 (0, yes), 180 (0, no). */
function skewed(): { index: number; label: number; attributes: Record<string, string> }[] {
  const cells: [number, string, number][] = [[1, 'yes', 180], [1, 'no', 20], [0, 'yes', 20], [0, 'no', 180]];
  const out: { index: number; label: number; attributes: Record<string, string> }[] = [];
  for (const [label, frame, count] of cells) for (let i = 0; i < count; i++) out.push({ index: 0, label, attributes: { frame } });
  // Interleave deterministically so cells are not contiguous.
  const mixed = out.map((s, i) => ({ s, k: (i * 7919) % out.length })).sort((a, b) => a.k - b.k).map((x, index) => ({ ...x.s, index }));
  return mixed;
}
const coding: BinaryCoding = { attribute: 'frame', positiveClass: 1, positiveValue: 'yes' };

describe('finetuning-data interventions', () => {
  const samples = skewed();

  it('measures the label-attribute correlation (phi) by hand', () => {
    const c = cellCounts(samples, coding);
    assert.deepEqual(c, { n11: 180, n10: 20, n01: 20, n00: 180 });
    // (180*180 - 20*20) / sqrt(200^4) = 0.8
    assert.ok(Math.abs((phiCorrelation(c) as number) - 0.8) < 1e-12);
    assert.equal(phiCorrelation({ n11: 5, n10: 5, n01: 0, n00: 0 }), null);
  });

  it('reweighting gives every label x attribute cell the same weight sum, total N', () => {
    const w = reweightingWeights(samples, 'frame');
    const sums = new Map<string, number>();
    samples.forEach((s) => sums.set(`${s.label}${s.attributes.frame}`, (sums.get(`${s.label}${s.attributes.frame}`) ?? 0) + w[s.index]));
    for (const sum of sums.values()) assert.ok(Math.abs(sum - 100) < 1e-3, `cell sum ${sum}`);
    assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 400) < 1e-2);
    // Outside the pool: weight 0; the pool's cells balance among themselves.
    const pool = samples.filter((s) => s.index % 2 === 0).map((s) => s.index);
    const wp = reweightingWeights(samples, 'frame', pool);
    assert.ok(samples.every((s) => (s.index % 2 === 0) === wp[s.index] > 0));
  });

  it('resampling reaches the requested correlation with balanced marginals, seeded', () => {
    for (const rho of [0, 0.4, -0.2, 0.8]) {
      const size = maxResampleSize(cellCounts(samples, coding), rho);
      const set = resampleToCorrelation(samples, coding, { correlation: rho, size, seed: 3 });
      const c = cellCounts(samples, coding, set.indices);
      assert.deepEqual(c, set.cells);
      const n = set.indices.length;
      assert.ok(Math.abs((phiCorrelation(c) as number) - rho) <= 4 / n, `rho ${rho}: achieved ${phiCorrelation(c)} with ${n} images`);
      assert.equal(c.n11 + c.n10, c.n01 + c.n00, 'half positives');
      assert.equal(new Set(set.indices).size, n, 'without replacement');
    }
    // rho 0 from cells of 20: 80 images, 20 per cell, phi exactly 0.
    const zero = resampleToCorrelation(samples, coding, { correlation: 0, size: 80, seed: 1 });
    assert.deepEqual(zero.cells, { n11: 20, n10: 20, n01: 20, n00: 20 });
    assert.equal(zero.achievedCorrelation, 0);
    assert.equal(maxResampleSize(cellCounts(samples, coding), 0), 80);
    assert.deepEqual(resampleToCorrelation(samples, coding, { correlation: 0, size: 80, seed: 1 }).indices, zero.indices);
    assert.notDeepEqual(resampleToCorrelation(samples, coding, { correlation: 0, size: 40, seed: 2 }).indices, resampleToCorrelation(samples, coding, { correlation: 0, size: 40, seed: 1 }).indices);
  });

  it('refuses a size the cells cannot supply, naming the cells', () => {
    assert.throws(() => resampleToCorrelation(samples, coding, { correlation: 0, size: 100, seed: 1 }), (e: unknown) => e instanceof AuditError && /at most 80 images/.test(e.message));
  });

  it('plans the variants the run trains: none, reweight, resampled sets of equal size', () => {
    const plans = planFinetuningInterventions(samples, {
      params: { ...DEFAULT_GROUP_DISPARITY_PARAMS, attribute: 'frame', interventions: [{ kind: 'none' }, { kind: 'reweight' }, { kind: 'resample', correlation: 0 }, { kind: 'resample', correlation: 0.5 }] },
      groups: ['no', 'yes'], binary: true, positiveClass: 1, attributePositiveValue: 'yes',
    });
    assert.deepEqual(plans.map((p) => p.intervention.id), ['none', 'reweight', 'resample-0', 'resample-0.5']);
    assert.ok(Math.abs((plans[0].correlation as number) - 0.8) < 1e-12);
    assert.equal(plans[1].correlation, 0);
    assert.ok(plans[1].sampleWeights !== null && plans[1].trainIndices === null);
    assert.equal(plans[2].trainImages, 80);
    assert.equal(plans[3].trainImages, 80, 'same size as the rho 0 set');
    assert.ok(Math.abs((plans[3].correlation as number) - 0.5) < 0.05);
  });
});
