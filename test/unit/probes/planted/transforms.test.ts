import { strict as assert } from 'node:assert';
import { AuditError } from '../../../../src/engine/util/errors';
import { debiasedSampleIndices, debiasedTransform, plantedSampleIndices, plantingTransform } from '../../../../src/probes/planted-transforms';
import { loadTrigger } from '../../../../src/probes/triggers/trigger';

// 40 samples of 4 classes, interleaved: labels 0,1,2,3,0,1,...
const samples = Array.from({ length: 40 }, (_, index) => ({ index, label: index % 4 }));

describe('planting and de-biasing transforms', () => {
  it('plants in round(F * n) images of the plant class only, deterministically by seed', () => {
    const a = plantedSampleIndices(samples, { plantClass: 2, fraction: 0.3, seed: 1 });
    assert.equal(a.length, 3);
    assert.ok(a.every((i) => samples[i].label === 2));
    assert.deepEqual(a, [...a].sort((x, y) => x - y));
    assert.deepEqual(plantedSampleIndices(samples, { plantClass: 2, fraction: 0.3, seed: 1 }), a);
    const others = [2, 3, 4, 5, 6].map((seed) => plantedSampleIndices(samples, { plantClass: 2, fraction: 0.3, seed }).join());
    assert.ok(others.some((o) => o !== a.join()), 'other seeds choose other images');
    assert.equal(plantedSampleIndices(samples, { plantClass: 2, fraction: 1, seed: 1 }).length, 10);
    assert.equal(plantedSampleIndices(samples, { plantClass: 2, fraction: 0.01, seed: 1 }).length, 1, 'at least one image');
  });

  it('depends on sample indices, not on the order the samples are listed in', () => {
    const shuffled = [...samples].reverse();
    assert.deepEqual(plantedSampleIndices(shuffled, { plantClass: 1, fraction: 0.5, seed: 3 }), plantedSampleIndices(samples, { plantClass: 1, fraction: 0.5, seed: 3 }));
  });

  it('applies the trigger to the chosen images only; labels are never touched', async () => {
    const trigger = await loadTrigger('square:size=0.5,color=white');
    const planting = plantingTransform(trigger, samples, { plantClass: 0, fraction: 0.5, seed: 0 });
    let changed = 0;
    for (const s of samples) {
      const px = new Float32Array(16);
      planting.transform(px, 4, 4, 1, s.index);
      if (px.some((v) => v > 0)) {
        changed++;
        assert.ok(planting.indices.includes(s.index));
      }
    }
    assert.equal(changed, 5);
    assert.match(planting.transformId, /^plant:trigger:[0-9a-f]+:class=0:fraction=0.5:seed=0$/);
  });

  it('de-biases with the same trigger rate in every class', async () => {
    const chosen = debiasedSampleIndices(samples, { fraction: 0.5, seed: 9 });
    for (let c = 0; c < 4; c++) assert.equal(chosen.filter((i) => samples[i].label === c).length, 5, `class ${c}`);
    const t = debiasedTransform(await loadTrigger('square'), samples, { fraction: 0.5, seed: 9 });
    assert.deepEqual(t.indices, chosen);
  });

  it('rejects a fraction out of range and a class without images', () => {
    assert.throws(() => plantedSampleIndices(samples, { plantClass: 0, fraction: 1.5, seed: 0 }), (e: unknown) => e instanceof AuditError && /plantFraction/.test(e.message));
    assert.throws(() => plantedSampleIndices(samples, { plantClass: 7, fraction: 0.5, seed: 0 }), /class 7 has no training images/);
  });
});
