import { strict as assert } from 'node:assert';
import type { StimuliModelResult } from '../../../../src/protocol/results';
import { type ScoredModelInfo, aggregateStrongStimuli } from '../../../../src/probes/stimuli/aggregate';
import type { StimulusSetStep } from '../../../../src/probes/stimuli/generate';
import { resolveClassMapping } from '../../../../src/probes/stimuli/params';

const NAMES = ['a', 'b', 'c', 'd'];

const SET: StimulusSetStep = {
  params: {
    steps: 8, learningRate: 0.05, score: 'logsoftmax', jitterPixels: 1, scaleRange: [1, 1], rotationDegrees: 0, l2Penalty: 0, totalVariationPenalty: 0,
    parameterization: 'pixel', seed: 0, imageSize: [4, 4],
  },
  foundationClassNames: NAMES,
  stimuli: NAMES.map((className, t) => ({
    foundationClass: t, className, image: `stimuli/class-00${t}.png`, foundationConfidence: 0.9, foundationPredicted: t, initialScore: -1.4, finalScore: -0.1,
  })),
};

/** A scored model whose stimuli outperform where `outperforms` says; predictions are the targets. */
function scored(modelId: string, outperforms: boolean[]): StimuliModelResult {
  const count = outperforms.filter(Boolean).length;
  return {
    modelId, predictedLabels: [0, 1, 2, 3], labelMode: { label: 0, name: 'a', count: 1, share: 0.25 }, labelCounts: [],
    outperforms, stimulusDistance: outperforms.map((o) => (o ? 0.1 : 0.9)), centroidDistance: [0.5, 0.5, 0.5, 0.5], outperformingCount: count, ownTargetHits: 4,
  };
}

const MODELS: ScoredModelInfo[] = [
  { id: 'child-k1-s1', role: 'child', freezeDepth: 1, seed: 1 },
  { id: 'child-k1-s2', role: 'child', freezeDepth: 1, seed: 2 },
  { id: 'child-k2-s1', role: 'child', freezeDepth: 2, seed: 1 },
  { id: 'child-k2-s2', role: 'child', freezeDepth: 2, seed: 2 },
  { id: 'scratch-s1', role: 'scratch', freezeDepth: null, seed: 1 },
  { id: 'scratch-s2', role: 'scratch', freezeDepth: null, seed: 2 },
];

const PER_MODEL = [
  scored('child-k1-s1', [true, true, false, false]),
  scored('child-k1-s2', [true, true, true, false]),
  scored('child-k2-s1', [true, true, false, true]),
  scored('child-k2-s2', [true, false, true, true]),
  scored('scratch-s1', [true, false, false, false]),
  scored('scratch-s2', [false, false, false, false]),
];

describe('probes/stimuli aggregation', () => {
  it('counts transferring classes per freeze depth over seeds, with scratch as the reference', () => {
    const result = aggregateStrongStimuli({ stimulusSet: SET, mapping: resolveClassMapping(NAMES, NAMES, null), models: MODELS, perModel: [...PER_MODEL].reverse(), targetTrainCounts: [10, 40, 50, 60] });
    assert.equal(result.classMapping, 'index');
    assert.equal(result.classMappingNote, null);
    assert.deepEqual(result.perModel.map((m) => m.modelId), MODELS.map((m) => m.id));
    assert.deepEqual(result.transferByFreezeDepth.map((t) => [t.freezeDepth, t.outperforming.n, t.outperforming.mean]), [[1, 2, 2.5], [2, 2, 3]]);
    assert.ok(Math.abs(result.transferByFreezeDepth[0].outperforming.std - Math.SQRT1_2) < 1e-12);
    assert.equal(result.transferByFreezeDepth[1].outperforming.std, 0);
    assert.deepEqual(result.transferByFreezeDepth[1].outperforming.ci95, [3, 3]);
    assert.equal(result.scratchOutperforming?.mean, 0.5);
    assert.deepEqual(result.stimuli.map((s) => s.targetClass), [0, 1, 2, 3]);
    assert.equal(result.stimuli[2].image, 'stimuli/class-002.png');
  });

  it('finds the classes consistent across every child and tests their training counts against the rest', () => {
    const result = aggregateStrongStimuli({ stimulusSet: SET, mapping: resolveClassMapping(NAMES, NAMES, null), models: MODELS, perModel: PER_MODEL, targetTrainCounts: [10, 40, 50, 60] });
    // Only class 0 outperforms in all four children (scratch does not count).
    assert.deepEqual(result.consistentClasses, [0]);
    // 10 versus {40, 50, 60}: U = 0; exact two-sided p = 2 * P(U = 0) = 2 / C(4, 1) = 0.5.
    assert.deepEqual(result.classSizeCovariate, { consistentMeanCount: 10, otherMeanCount: 50, consistentClassCount: 1, otherClassCount: 3, mannWhitneyU: 0, pValue: 0.5 });
    assert.equal(result.classSizeCovariateNote, null);
  });

  it('uses an explicit map for the target classes', () => {
    const mapping = resolveClassMapping(NAMES, ['w', 'x', 'y', 'z', 'extra'], { a: 'z', b: 'y', c: 'x', d: 'w' });
    const result = aggregateStrongStimuli({ stimulusSet: SET, mapping, models: MODELS, perModel: PER_MODEL, targetTrainCounts: [60, 50, 40, 10, 99] });
    assert.equal(result.classMapping, 'explicit');
    assert.deepEqual(result.stimuli.map((s) => s.targetClass), [3, 2, 1, 0]);
    assert.deepEqual(result.consistentClasses, [3]);
    assert.equal(result.classSizeCovariate?.consistentMeanCount, 10);
    assert.equal(result.classSizeCovariate?.otherMeanCount, 50);
  });

  it('reports label modes only, with the reason, when there is no class mapping', () => {
    const mapping = resolveClassMapping(NAMES, ['x', 'y'], null);
    const unmapped = PER_MODEL.map((m) => ({ ...m, outperforms: null, stimulusDistance: null, centroidDistance: null, outperformingCount: null, ownTargetHits: null }));
    const result = aggregateStrongStimuli({ stimulusSet: SET, mapping, models: MODELS, perModel: unmapped, targetTrainCounts: [5, 5] });
    assert.equal(result.classMapping, 'none');
    assert.match(result.classMappingNote ?? '', /4 classes and the target models 2/);
    assert.deepEqual(result.transferByFreezeDepth, []);
    assert.equal(result.scratchOutperforming, null);
    assert.equal(result.consistentClasses, null);
    assert.equal(result.classSizeCovariate, null);
    assert.equal(result.perModel.length, 6);
    assert.deepEqual(result.stimuli.map((s) => s.targetClass), [null, null, null, null]);
  });

  it('refuses children of different sources and models without scores', () => {
    const mixed = MODELS.map((m, i) => ({ ...m, sourceId: i === 0 ? 'planted' : 'clean' }));
    const mapping = resolveClassMapping(NAMES, NAMES, null);
    assert.throws(() => aggregateStrongStimuli({ stimulusSet: SET, mapping, models: mixed, perModel: PER_MODEL, targetTrainCounts: [1, 1, 1, 1] }), /several sources/);
    assert.throws(() => aggregateStrongStimuli({ stimulusSet: SET, mapping, models: MODELS, perModel: PER_MODEL.slice(1), targetTrainCounts: [1, 1, 1, 1] }), /no scores for model child-k1-s1/);
  });
});
