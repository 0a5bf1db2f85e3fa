import { strict as assert } from 'node:assert';
import type { Dataset } from '../../../src/engine/data/dataset';
import { AuditError } from '../../../src/engine/util/errors';
import { Random } from '../../../src/engine/util/random';
import { type AssociationModelInfo, type AssociationsModelStep, aggregateAssociations, computeAssociations } from '../../../src/probes/associations';
import {
  biasTransferScore,
  conceptAssociation,
  cosine,
  type EmbeddingMatrix,
  meanCrossSimilarity,
  normalizeRows,
  randomSubset,
  weatOnEmbeddings,
} from '../../../src/probes/associations-metrics';
import type { ResolvedAssociationsParams } from '../../../src/probes/associations-params';
import type { AuditModelRef, ProbeContext } from '../../../src/probes/context';

function close(actual: number, expected: number, tolerance = 1e-6): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);
}

/** Unit vectors in the plane at the given angles (degrees). */
function planeVectors(degrees: number[]): EmbeddingMatrix {
  return { dim: 2, values: Float32Array.from(degrees.flatMap((d) => [Math.cos((d * Math.PI) / 180), Math.sin((d * Math.PI) / 180)])) };
}

/** Concept images as the probe sees them: names and labels, no pixels (the context's embed is faked). */
function conceptData(counts: Record<string, number>): Dataset {
  const classNames = Object.keys(counts);
  const labels = classNames.flatMap((_, c) => new Array<number>(counts[classNames[c]]).fill(c));
  return {
    classNames,
    classCounts: classNames.map((n) => counts[n]),
    samples: labels.map((label, index) => ({ index, label, sourceLabel: label, attributes: {}, path: `/concepts/${classNames[label]}/${index}.png` })),
    specString: '/concepts',
    source: { kind: 'folder', root: '/concepts' },
  } as unknown as Dataset;
}

function contextEmbedding(embeddings: EmbeddingMatrix): ProbeContext {
  return {
    predict: () => Promise.reject(new Error('not used')),
    embed: async () => embeddings,
    log: () => undefined,
    progress: () => undefined,
  };
}

function ref(id: string, role: AuditModelRef['role'], freezeDepth: number | null = null): AuditModelRef {
  return { id, role, loaded: undefined as never, hash: id, freezeDepth, seed: 1, sourceId: null };
}

describe('probes/associations metrics', () => {
  it('cosine of unit vectors and the mean over every cross pair', () => {
    const e = planeVectors([0, 90, 60, 180]);
    close(cosine(e, 0, 1), 0);
    close(cosine(e, 0, 2), 0.5);
    close(cosine(e, 0, 3), -1);
    // rows {0, 1} against {2}: (cos 60 + cos 30) / 2
    close(meanCrossSimilarity(e, [0, 1], [2]), (0.5 + Math.sqrt(3) / 2) / 2);
    assert.throws(() => meanCrossSimilarity(e, [], [1]), RangeError);
  });

  it('normalises rows and finds an all-zero embedding', () => {
    const { normalized, zeroRow } = normalizeRows({ dim: 2, values: Float32Array.from([3, 4, 0, 2]) });
    assert.equal(zeroRow, -1);
    assert.deepEqual(Array.from(normalized.values).map((v) => Number(v.toFixed(6))), [0.6, 0.8, 0, 1]);
    assert.equal(normalizeRows({ dim: 2, values: Float32Array.from([1, 0, 0, 0]) }).zeroRow, 1);
  });

  it('association over subsets: the whole-set mean when a subset is the whole concept, with zero spread', () => {
    const e = planeVectors([0, 10, 90, 100]);
    const full = meanCrossSimilarity(e, [0, 1], [2, 3]);
    const result = conceptAssociation(e, [0, 1], [2, 3], { subsetSize: 2, repeats: 4, seed: 1, comparisonId: 'a~b' });
    close(result.mean, full);
    assert.equal(result.std, 0);
    assert.equal(result.values.length, 4);
  });

  it('association over random subsets: mean and spread of the per-subset means, reproducible for a seed', () => {
    // A: 0, 30, 60 degrees; B: 90 degrees. With subsets of 1 the per-repeat value is cos(90 - angle of the A image).
    const e = planeVectors([0, 30, 60, 90]);
    const options = { subsetSize: 1, repeats: 40, seed: 3, comparisonId: 'a~b' };
    const result = conceptAssociation(e, [0, 1, 2], [3], options);
    const possible = [0, 0.5, Math.sqrt(3) / 2];
    assert.ok(result.values.every((v) => possible.some((p) => Math.abs(v - p) < 1e-6)));
    assert.ok(new Set(result.values.map((v) => v.toFixed(4))).size === 3, 'forty draws of three images should hit each');
    close(result.mean, result.values.reduce((s, v) => s + v, 0) / 40);
    assert.ok(result.std > 0.2 && result.std < 0.5);
    assert.deepEqual(conceptAssociation(e, [0, 1, 2], [3], options), result);
    assert.notDeepEqual(conceptAssociation(e, [0, 1, 2], [3], { ...options, seed: 4 }).values, result.values);
  });

  it('random subsets are distinct items of the right size', () => {
    const subset = randomSubset([5, 6, 7, 8, 9], 3, new Random(1));
    assert.equal(new Set(subset).size, 3);
    assert.ok(subset.every((v) => v >= 5 && v <= 9));
    assert.throws(() => randomSubset([1, 2], 3, new Random(1)), RangeError);
  });

  it('the Bias Transfer Score is exactly 1 for the same ranking and -1 for the reversed one', () => {
    assert.deepEqual(biasTransferScore([0.1, 0.5, 0.3, 0.9], [0.2, 0.6, 0.4, 0.95]), { spearman: 1, pValue: 1 / 12 });
    assert.deepEqual(biasTransferScore([0.1, 0.5, 0.3, 0.9], [0.8, 0.2, 0.5, 0.1]).spearman, -1);
    // Swapping one adjacent pair of four: rho = 1 - 6 * 2 / (4 * 15) = 0.8
    close(biasTransferScore([1, 2, 3, 4], [1, 3, 2, 4]).spearman!, 0.8, 1e-12);
    assert.equal(biasTransferScore([1, 2, 3], [5, 5, 5]).spearman, null);
    assert.throws(() => biasTransferScore([1, 2], [1, 2, 3]), RangeError);
  });

  it('WEAT is positive when X leans to A and Y to B, negative when swapped', () => {
    // X near A (0 degrees), Y near B (90 degrees).
    const e = planeVectors([5, 10, 15, 80, 85, 70, 0, 2, 90, 88]);
    const sets = { targetsX: [0, 1, 2], targetsY: [3, 4, 5], attributesA: [6, 7], attributesB: [8, 9] };
    const options = { seed: 1, maxExactPartitions: 100_000, sampledPartitions: 1000 };
    const forward = weatOnEmbeddings(e, sets, options);
    assert.ok(forward.effectSize! > 1.5, `effect size ${forward.effectSize}`);
    // Exact over C(6, 3) = 20 partitions: only the observed one is as extreme in this direction.
    assert.equal(forward.method, 'exact');
    close(forward.pValueOneSided, 1 / 20, 1e-12);
    const swapped = weatOnEmbeddings(e, { ...sets, targetsX: sets.targetsY, targetsY: sets.targetsX }, options);
    close(swapped.effectSize!, -forward.effectSize!, 1e-9);
  });
});

describe('probes/associations step and aggregation', () => {
  // man = 0 degrees, woman = 90 degrees, surfboard at 30 (cos 0.866 with man, 0.5 with woman), kitchen at 70.
  const concepts = conceptData({ man: 3, woman: 3, surfboard: 3, kitchen: 3 });
  const embeddings = planeVectors([0, 0, 0, 90, 90, 90, 30, 30, 30, 70, 70, 70]);
  const params: ResolvedAssociationsParams = {
    concepts: '/concepts',
    comparisons: [
      { id: 'surfboard~man', conceptA: 'surfboard', conceptB: 'man' },
      { id: 'surfboard~woman', conceptA: 'surfboard', conceptB: 'woman' },
      { id: 'kitchen~man', conceptA: 'kitchen', conceptB: 'man' },
      { id: 'kitchen~woman', conceptA: 'kitchen', conceptB: 'woman' },
    ],
    subsetSize: 2,
    repeats: 5,
    seed: 0,
    weat: { targets: ['surfboard', 'kitchen'], attributes: ['man', 'woman'], maxExactPartitions: 100_000, sampledPartitions: 100 },
  };

  it('computes each comparison from the model embeddings, with WEAT', async () => {
    const step = await computeAssociations(contextEmbedding(embeddings), ref('foundation', 'foundation'), concepts, params);
    assert.equal(step.modelId, 'foundation');
    const expected = [Math.cos(Math.PI / 6), Math.cos(Math.PI / 3), Math.cos((70 * Math.PI) / 180), Math.cos((20 * Math.PI) / 180)];
    step.associations.forEach((a, i) => {
      assert.equal(a.comparisonId, params.comparisons[i].id);
      close(a.mean, expected[i]);
      close(a.std, 0);
    });
    // Surfboard leans to man, kitchen to woman. All images of a concept are identical, so s takes two values
    // d apart, three times each: the pooled sample std is (d / 2) sqrt(6 / 5) and the effect size 2 / sqrt(1.2).
    close(step.weat!.effectSize!, 2 / Math.sqrt(1.2));
    assert.equal(step.weat!.method, 'exact');
    // Of the C(6, 3) = 20 re-partitions only the observed one puts all three surfboards in X.
    close(step.weat!.pValue, 1 / 20, 1e-12);
    assert.equal(step.weat!.permutations, 20);
  });

  it('names the image and model when an embedding is all zeros', async () => {
    const broken = { dim: 2, values: Float32Array.from(embeddings.values) };
    broken.values[2 * 4] = 0;
    broken.values[2 * 4 + 1] = 0;
    await assert.rejects(
      computeAssociations(contextEmbedding(broken), ref('child-k1-s1', 'child', 1), concepts, params),
      (e: unknown) => e instanceof AuditError && e.file === '/concepts/woman/4.png' && /child-k1-s1/.test(e.message),
    );
  });

  it('aggregates BTS per child and per freeze depth, with scratch as the reference', () => {
    const step = (modelId: string, means: number[]): AssociationsModelStep => ({
      modelId,
      associations: params.comparisons.map((c, i) => ({ comparisonId: c.id, mean: means[i], std: 0.01 })),
      weat: { modelId, effectSize: 1, pValue: 0.05, permutations: 20 },
    });
    const models: AssociationModelInfo[] = [
      { id: 'foundation', role: 'foundation', freezeDepth: null, seed: null },
      { id: 'child-k1-s1', role: 'child', freezeDepth: 1, seed: 1 },
      { id: 'child-k1-s2', role: 'child', freezeDepth: 1, seed: 2 },
      { id: 'child-k3-s1', role: 'child', freezeDepth: 3, seed: 1 },
      { id: 'scratch-s1', role: 'scratch', freezeDepth: null, seed: 1 },
    ];
    const perModel = [
      step('foundation', [0.9, 0.5, 0.3, 0.7]),
      step('child-k1-s1', [0.8, 0.4, 0.2, 0.6]), // same ranking: 1
      step('child-k1-s2', [0.1, 0.5, 0.7, 0.3]), // reversed: -1
      step('child-k3-s1', [0.5, 0.5, 0.5, 0.5]), // constant: null
      step('scratch-s1', [0.9, 0.3, 0.5, 0.7]), // one adjacent swap of four: 0.8
    ];
    const result = aggregateAssociations({ params, conceptImages: concepts, models, perModel: [...perModel].reverse() });
    assert.deepEqual(result.biasTransferScore.map((b) => [b.modelId, b.spearman === null ? null : Number(b.spearman.toFixed(12))]), [
      ['child-k1-s1', 1],
      ['child-k1-s2', -1],
      ['child-k3-s1', null],
      ['scratch-s1', 0.8],
    ]);
    assert.deepEqual(result.biasTransferByFreezeDepth.map((b) => [b.freezeDepth, b.spearman.n, b.spearman.mean]), [[1, 2, 0]]);
    assert.equal(result.scratchBiasTransferScore?.n, 1);
    assert.equal(result.scratchBiasTransferScore?.ci95, null);
    assert.deepEqual(result.perModel.map((m) => m.modelId), models.map((m) => m.id));
    assert.deepEqual(result.concepts, [{ name: 'man', images: 3 }, { name: 'woman', images: 3 }, { name: 'surfboard', images: 3 }, { name: 'kitchen', images: 3 }]);
    assert.equal(result.weat?.perModel.length, 5);
    assert.deepEqual(result.weat?.targets, ['surfboard', 'kitchen']);
    assert.throws(() => aggregateAssociations({ params, conceptImages: concepts, models, perModel: perModel.slice(1) }), /no associations for model foundation/);
  });
});
