import { strict as assert } from 'node:assert';
import { resolve } from 'node:path';
import type { Dataset } from '../../../../src/engine/data/dataset';
import { openDataset } from '../../../../src/engine/data/open-dataset';
import type { Predictions } from '../../../../src/engine/eval';
import type { LoadedModel } from '../../../../src/engine/model/meta';
import { AuditError } from '../../../../src/engine/util/errors';
import type { AuditModelRef, PredictOptions, ProbeContext } from '../../../../src/probes/context';
import { aggregateGroupDisparity, groupDisparityStep } from '../../../../src/probes/groups';
import { calibrateThreshold } from '../../../../src/probes/groups-metrics';
import { planFinetuningInterventions } from '../../../../src/probes/groups-interventions';
import { validateGroupDisparityParams } from '../../../../src/probes/groups-params';

const REPO = resolve(__dirname, '../../../../..');
const GROUPS = resolve(REPO, 'samples/fashion-groups/groups.csv');
const FASHION = resolve(REPO, 'samples/fashion-mnist');

/**
 * A context whose "model" scores Coat by the background alone (light: 0.8, dark: 0.3): the pure shortcut a
 * biased finetune would learn. Predictions follow the context contract (rows in `indices` order).
 */
function shortcutContext(): ProbeContext & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    log: () => undefined,
    progress: () => undefined,
    embed: () => Promise.reject(new Error('unused')),
    predict: (_model: AuditModelRef, data: Dataset, options: PredictOptions = {}): Promise<Predictions> => {
      asked.push(`${data.specString.split('?')[1]}${options.indices ? `[${options.indices.length}]` : ''}`);
      const rows = options.indices ?? data.samples.map((s) => s.index);
      const probabilities = new Float32Array(rows.length * 2);
      rows.forEach((i, r) => {
        const coat = data.samples[i].attributes.background === 'light' ? 0.8 : 0.3;
        probabilities[2 * r] = 1 - coat;
        probabilities[2 * r + 1] = coat;
      });
      return Promise.resolve({
        numClasses: 2,
        probabilities,
        predicted: Int32Array.from(rows, (_, r) => (probabilities[2 * r + 1] > probabilities[2 * r] ? 1 : 0)),
        labels: Int32Array.from(rows, (i) => data.samples[i].label),
      });
    },
  };
}

describe('group disparity: params, step and aggregation on the groups sample', () => {
  let train: Dataset;
  let val: Dataset;
  let test: Dataset;
  before(async () => {
    [train, val, test] = await Promise.all(['train', 'val', 'test'].map((split) => openDataset(`${GROUPS}?split=${split}`)));
  });

  it('validates the sample: binary, groups dark/light, Coat positive, light coded 1', () => {
    const prepared = validateGroupDisparityParams({ attribute: 'background' }, { train, test, validation: val });
    assert.deepEqual(prepared.groups, ['dark', 'light']);
    assert.equal(prepared.binary, true);
    assert.equal(prepared.positiveClass, 1);
    assert.equal(test.classNames[1], 'Coat');
    assert.equal(prepared.attributePositiveValue, 'light');
  });

  it('names the dataset and its columns when the attribute is missing, and other problems by config path', async () => {
    assert.throws(() => validateGroupDisparityParams({ attribute: 'gender' }, { train, test, validation: val }), (e: unknown) => {
      assert.ok(e instanceof AuditError);
      assert.equal(e.code, 'MISSING_ATTRIBUTE');
      assert.match(e.message, /groups\.csv\?split=train: the data has no attribute "gender": its attribute columns are background/);
      return true;
    });
    const idx = await openDataset(`idx:${FASHION}/test-images-idx3-ubyte.gz,${FASHION}/test-labels-idx1-ubyte.gz?perClass=2`);
    assert.throws(() => validateGroupDisparityParams({ attribute: 'background' }, { train: idx, test: idx, validation: null }), /has no attribute "background": it has no attribute columns/);
    assert.throws(() => validateGroupDisparityParams({ attribute: 'background' }, { train, test, validation: null }), /needs validation data to calibrate/);
    assert.throws(() => validateGroupDisparityParams({ attribute: 'background', interventions: [{ kind: 'resample', correlation: 1.5 }] }, { train, test, validation: val }),
      (e: unknown) => e instanceof AuditError && e.file === 'probes.groupDisparity.interventions[0].correlation');
    assert.throws(() => validateGroupDisparityParams({ attribute: 'background', interventions: [{ kind: 'none' }, { kind: 'none' }] }, { train, test, validation: val }), /listed twice/);
    assert.throws(() => validateGroupDisparityParams({ attribute: 'background', positiveClass: 'Shirt' }, { train, test, validation: val }), /"Shirt" is not one of the classes Pullover, Coat/);
  });

  it('plans the interventions on the sample: phi 0.8 as given, 0 reweighted, 200 images resampled to 0', () => {
    const prepared = validateGroupDisparityParams({ attribute: 'background' }, { train, test, validation: val });
    const plans = planFinetuningInterventions(train.samples, prepared);
    assert.deepEqual(plans.map((p) => [p.intervention.id, p.trainImages]), [['none', 1000], ['reweight', 1000], ['resample-0', 200]]);
    assert.ok(Math.abs((plans[0].correlation as number) - 0.8) < 1e-12);
    assert.equal(plans[1].correlation, 0);
    assert.equal(plans[2].correlation, 0);
  });

  it('measures the shortcut: TPR and FPR gaps of 1, threshold calibrated on validation, and aggregates over seeds', async () => {
    const prepared = validateGroupDisparityParams({ attribute: 'background' }, { train, test, validation: val });
    const ctx = shortcutContext();
    const model = (id: string, seed: number): AuditModelRef => ({ id, role: 'child', loaded: { meta: { classNames: ['Pullover', 'Coat'] } } as unknown as LoadedModel, hash: id, freezeDepth: 2, seed, sourceId: null });
    const valIndices = val.samples.filter((s) => s.index % 2 === 0).map((s) => s.index);
    const r1 = await groupDisparityStep(ctx, model('child-k2-s1', 1), { test, validation: { data: val } }, prepared, 'none');
    assert.deepEqual(ctx.asked, ['split=test', 'split=val']);
    // On balanced validation every threshold between 0.3 and 0.8 scores 50%; 0.5 is kept.
    assert.equal(r1.threshold, 0.5);
    assert.equal(r1.accuracy, 0.5);
    const light = r1.perGroup.find((g) => g.group === 'light');
    const dark = r1.perGroup.find((g) => g.group === 'dark');
    assert.deepEqual([light?.truePositiveRate, light?.falsePositiveRate, dark?.truePositiveRate, dark?.falsePositiveRate], [1, 1, 0, 0]);
    assert.equal(r1.tprGap, 1);
    assert.equal(r1.fprGap, 1);
    assert.equal(r1.accuracyGap, 0);
    const r2 = await groupDisparityStep(ctx, model('child-k2-s2', 2), { test, validation: { data: val, indices: valIndices } }, prepared, 'none');
    assert.equal(ctx.asked[3], `split=val[${valIndices.length}]`);
    // Calibrated on the subset only: the threshold that maximises accuracy on those images.
    const subset = valIndices.map((i) => val.samples[i]);
    const expected = calibrateThreshold(subset.map((x) => Math.fround(x.attributes.background === 'light' ? 0.8 : 0.3)), subset.map((x) => x.label === 1));
    assert.equal(r2.threshold, expected);
    const result = aggregateGroupDisparity({
      prepared,
      interventions: planFinetuningInterventions(train.samples, prepared).map((p) => p.intervention),
      models: [{ id: 'child-k2-s1', role: 'child', freezeDepth: 2, seed: 1, sourceId: null, interventionId: 'none' }, { id: 'child-k2-s2', role: 'child', freezeDepth: 2, seed: 2, sourceId: null, interventionId: 'none' }],
      perModel: [r1, r2],
    });
    assert.equal(result.biasVersusAccuracy.length, 1);
    const row = result.biasVersusAccuracy[0];
    assert.equal(row.interventionId, 'none');
    assert.equal(row.accuracy.n, 2);
    assert.equal(row.fprGap?.mean, ((r1.fprGap as number) + (r2.fprGap as number)) / 2);
    assert.deepEqual(row.modelIds, ['child-k2-s1', 'child-k2-s2']);
    assert.equal(result.attribute, 'background');
    assert.equal(result.positiveClass, 1);
  });
});
