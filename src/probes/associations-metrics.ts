import { Random, deriveSeed } from '../engine/util/random';
import { spearman } from '../stats/correlation';
import { mean, sampleStandardDeviation } from '../stats/descriptive';
import { type WeatResult, weat } from '../stats/weat';

/**
 * The association metrics on plain numbers (MISSION.md, probe 5; Ranjit et al.): embeddings in, cosine
 * associations, the Bias Transfer Score and the WEAT effect size out. No tensors.
 */

/** Row-major embeddings [n, dim]. */
export interface EmbeddingMatrix {
  dim: number;
  values: Float32Array;
}

/** Cosine similarity of rows i and j of L2-normalised embeddings (their dot product). */
export function cosine(embeddings: EmbeddingMatrix, i: number, j: number): number {
  const { dim, values } = embeddings;
  let dot = 0;
  for (let k = 0; k < dim; k++) dot += values[i * dim + k] * values[j * dim + k];
  return dot;
}

/**
 * Rescales every row to unit length. The context promises normalised rows; doing it again costs little and
 * makes the cosine exact. Returns the index of a row that is all zeros (its cosine is undefined), or -1.
 */
export function normalizeRows(embeddings: EmbeddingMatrix): { normalized: EmbeddingMatrix; zeroRow: number } {
  const { dim, values } = embeddings;
  const rows = values.length / dim;
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let k = 0; k < dim; k++) sum += values[r * dim + k] ** 2;
    if (!(sum > 0) || !Number.isFinite(sum)) return { normalized: embeddings, zeroRow: r };
    const scale = 1 / Math.sqrt(sum);
    for (let k = 0; k < dim; k++) out[r * dim + k] = values[r * dim + k] * scale;
  }
  return { normalized: { dim, values: out }, zeroRow: -1 };
}

/** Mean cosine similarity over every pair (a, b) of rows a ∈ rowsA, b ∈ rowsB. */
export function meanCrossSimilarity(embeddings: EmbeddingMatrix, rowsA: readonly number[], rowsB: readonly number[]): number {
  if (rowsA.length === 0 || rowsB.length === 0) throw new RangeError('an association needs at least one image of each concept');
  let sum = 0;
  for (const a of rowsA) for (const b of rowsB) sum += cosine(embeddings, a, b);
  return sum / (rowsA.length * rowsB.length);
}

/** `size` distinct items of `items`, uniformly at random. */
export function randomSubset(items: readonly number[], size: number, random: Random): number[] {
  if (size > items.length) throw new RangeError(`a subset of ${size} from ${items.length} items`);
  return random.shuffle([...items]).slice(0, size);
}

/**
 * The association of two concepts: the mean cosine similarity between a random `subsetSize` subset of each,
 * over `repeats` subsets, with the sample standard deviation over repeats (0 for one repeat). The subsets
 * depend only on (seed, comparisonId, repeat), so every model is measured on the same images.
 */
export function conceptAssociation(
  embeddings: EmbeddingMatrix,
  rowsA: readonly number[],
  rowsB: readonly number[],
  options: { subsetSize: number; repeats: number; seed: number; comparisonId: string },
): { mean: number; std: number; values: number[] } {
  const values: number[] = [];
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    const random = new Random(deriveSeed(options.seed, 'association', options.comparisonId, repeat));
    values.push(meanCrossSimilarity(embeddings, randomSubset(rowsA, options.subsetSize, random), randomSubset(rowsB, options.subsetSize, random)));
  }
  return { mean: mean(values), std: sampleStandardDeviation(values) ?? 0, values };
}

/**
 * Bias Transfer Score: Spearman's rank correlation between the foundation's association list and a model's
 * (same comparisons, same order). 1: the model keeps the foundation's ranking of associations; -1: reversed.
 * rho is null when either list is constant. p: two-sided, exact permutation for n <= 9.
 */
export function biasTransferScore(foundation: readonly number[], model: readonly number[]): { spearman: number | null; pValue: number | null } {
  if (foundation.length !== model.length) throw new RangeError(`association lists differ in length: ${foundation.length} and ${model.length}`);
  const result = spearman(foundation, model);
  return { spearman: result.rho, pValue: result.pValue };
}

/**
 * WEAT over images: targets X, Y and attributes A, B are lists of embedding rows; s(w) = mean cos(w, A) -
 * mean cos(w, B); the effect size is (mean_X s - mean_Y s) / std_{X ∪ Y} s with a permutation p-value over
 * re-partitions of X ∪ Y (src/stats/weat). Positive: X leans to A and Y to B.
 */
export function weatOnEmbeddings(
  embeddings: EmbeddingMatrix,
  sets: { targetsX: readonly number[]; targetsY: readonly number[]; attributesA: readonly number[]; attributesB: readonly number[] },
  options: { seed: number; maxExactPartitions: number; sampledPartitions: number },
): WeatResult {
  return weat(sets, (target, attribute) => cosine(embeddings, target, attribute), options);
}
