import { Random } from '../engine/util/random';
import { mean, sampleStandardDeviation } from './descriptive';
import { requirePositiveInteger } from './validate';

/**
 * WEAT-style association test (Caliskan, Bryson & Narayanan, 2017) over precomputed cosine similarities,
 * so the probe code owns the embeddings. For target sets X, Y and attribute sets A, B:
 *   s(w, A, B) = mean_{a∈A} cos(w, a) - mean_{b∈B} cos(w, b)
 *   effect size = (mean_{x∈X} s(x) - mean_{y∈Y} s(y)) / std_{w∈X∪Y} s(w)   (sample std, n - 1)
 * and a permutation p-value over re-partitions of X ∪ Y into sets of sizes |X| and |Y|.
 */

/** Items are caller-chosen ids (e.g. row indices into an embedding matrix), passed back to the similarity. */
export interface WeatSets {
  targetsX: readonly number[];
  targetsY: readonly number[];
  attributesA: readonly number[];
  attributesB: readonly number[];
}

/** cos(target, attribute) for a target id (from X or Y) and an attribute id (from A or B). */
export type SimilarityFunction = (target: number, attribute: number) => number;

export interface WeatOptions {
  /** Seed for the sampled permutation test (used only when exact enumeration is too large). */
  seed: number;
  /** Enumerate every partition when there are at most this many (default 100000). */
  maxExactPartitions?: number;
  /** Random partitions drawn when enumeration is too large (default 10000). */
  sampledPartitions?: number;
}

export interface WeatResult {
  /** s(w, A, B) for each target in X, in input order. */
  associationsX: number[];
  /** s(w, A, B) for each target in Y, in input order. */
  associationsY: number[];
  /** Caliskan's test statistic s(X, Y, A, B) = Σ_x s(x) - Σ_y s(y). */
  testStatistic: number;
  /** mean_x s(x) - mean_y s(y): the numerator of the effect size and the permuted statistic. */
  meanDifference: number;
  /** Effect size; `null` when s has zero spread over X ∪ Y (the ratio is undefined). */
  effectSize: number | null;
  /**
   * One-sided p (Caliskan's): the share of partitions (X_i, Y_i) whose mean difference is at least the
   * observed one; small when X is more associated with A (and Y with B) than chance.
   */
  pValueOneSided: number;
  /** Two-sided p: the share of partitions whose |mean difference| is at least the observed |mean difference|. */
  pValueTwoSided: number;
  /**
   * `exact`: every partition enumerated (p = count / partitions). `sampled`: random partitions with the
   * add-one estimate (count + 1) / (partitions + 1), which never reports an impossible p = 0.
   */
  method: 'exact' | 'sampled';
  /** Partitions enumerated or drawn. */
  partitions: number;
}

/**
 * WEAT effect size and permutation p-values. Throws a `RangeError` when a set is empty or a similarity is
 * not a finite number.
 *
 * @example
 * const cos = similarityFromMatrix(cosineMatrix); // cosineMatrix[i][j] between embeddings i and j
 * weat({ targetsX: [0, 1], targetsY: [2, 3], attributesA: [4, 5], attributesB: [6, 7] }, cos, { seed: 1 });
 */
export function weat(sets: WeatSets, similarity: SimilarityFunction, options: WeatOptions): WeatResult {
  for (const [name, items] of Object.entries(sets) as [string, readonly number[]][]) {
    if (items.length === 0) throw new RangeError(`WEAT set ${name} is empty`);
  }
  const maxExact = options.maxExactPartitions ?? 100_000;
  const sampled = options.sampledPartitions ?? 10_000;
  requirePositiveInteger(maxExact, 'maxExactPartitions');
  requirePositiveInteger(sampled, 'sampledPartitions');

  const association = (target: number): number =>
    meanSimilarity(target, sets.attributesA, similarity) - meanSimilarity(target, sets.attributesB, similarity);
  const associationsX = sets.targetsX.map(association);
  const associationsY = sets.targetsY.map(association);
  const sumX = associationsX.reduce((s, v) => s + v, 0);
  const sumY = associationsY.reduce((s, v) => s + v, 0);
  const nX = associationsX.length;
  const pooled = [...associationsX, ...associationsY];
  const meanDifference = mean(associationsX) - mean(associationsY);
  const spread = sampleStandardDeviation(pooled);
  const effectSize = spread === null || spread === 0 ? null : meanDifference / spread;

  const permutation = permutationPValues(pooled, nX, meanDifference, maxExact, sampled, options.seed);
  return {
    associationsX,
    associationsY,
    testStatistic: sumX - sumY,
    meanDifference,
    effectSize,
    ...permutation,
  };
}

/** A similarity function reading a matrix: `matrix[target][attribute]`. */
export function similarityFromMatrix(matrix: readonly (readonly number[])[]): SimilarityFunction {
  return (target, attribute) => {
    const row = matrix[target];
    if (row === undefined || attribute < 0 || attribute >= row.length) {
      throw new RangeError(`similarity matrix has no entry [${target}][${attribute}]`);
    }
    return row[attribute];
  };
}

function meanSimilarity(target: number, attributes: readonly number[], similarity: SimilarityFunction): number {
  let sum = 0;
  for (const attribute of attributes) {
    const value = similarity(target, attribute);
    if (!Number.isFinite(value)) {
      throw new RangeError(`similarity(${target}, ${attribute}) is ${String(value)}; expected a finite cosine`);
    }
    sum += value;
  }
  return sum / attributes.length;
}

type PermutationPValues = Pick<WeatResult, 'pValueOneSided' | 'pValueTwoSided' | 'method' | 'partitions'>;

function permutationPValues(
  pooled: readonly number[],
  nX: number,
  observed: number,
  maxExact: number,
  sampled: number,
  seed: number,
): PermutationPValues {
  const n = pooled.length;
  const nY = n - nX;
  const total = pooled.reduce((s, v) => s + v, 0);
  // For fixed set sizes the mean difference is a function of the sum over X_i alone.
  const differenceFromSumX = (sumX: number): number => sumX / nX - (total - sumX) / nY;
  const scale = pooled.reduce((s, v) => s + Math.abs(v), 0) / Math.min(nX, nY);
  // Sums taken in a different order differ by rounding only; count those as ties with the observed value.
  const tolerance = 1e-12 * (scale + Number.MIN_VALUE);
  let atLeast = 0;
  let atLeastAbsolute = 0;
  const tally = (sumX: number): void => {
    const difference = differenceFromSumX(sumX);
    if (difference >= observed - tolerance) atLeast++;
    if (Math.abs(difference) >= Math.abs(observed) - tolerance) atLeastAbsolute++;
  };

  const partitionCount = binomial(n, nX);
  if (partitionCount <= maxExact) {
    forEachCombination(n, nX, (chosen) => {
      let sumX = 0;
      for (const index of chosen) sumX += pooled[index];
      tally(sumX);
    });
    return {
      pValueOneSided: atLeast / partitionCount,
      pValueTwoSided: atLeastAbsolute / partitionCount,
      method: 'exact',
      partitions: partitionCount,
    };
  }
  const random = new Random(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let draw = 0; draw < sampled; draw++) {
    partialShuffle(order, nX, random);
    let sumX = 0;
    for (let i = 0; i < nX; i++) sumX += pooled[order[i]];
    tally(sumX);
  }
  return {
    pValueOneSided: (atLeast + 1) / (sampled + 1),
    pValueTwoSided: (atLeastAbsolute + 1) / (sampled + 1),
    method: 'sampled',
    partitions: sampled,
  };
}

/** C(n, k) as a double (exact while below 2^53, which covers every count compared against maxExact). */
function binomial(n: number, k: number): number {
  const m = Math.min(k, n - k);
  let result = 1;
  for (let i = 1; i <= m; i++) result = (result * (n - m + i)) / i;
  return Math.round(result);
}

/** Calls `visit` with every k-subset of 0..n-1 in lexicographic order (the array is reused). */
function forEachCombination(n: number, k: number, visit: (chosen: readonly number[]) => void): void {
  const chosen = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    visit(chosen);
    let position = k - 1;
    while (position >= 0 && chosen[position] === n - k + position) position--;
    if (position < 0) return;
    chosen[position]++;
    for (let i = position + 1; i < k; i++) chosen[i] = chosen[i - 1] + 1;
  }
}

/** Moves a uniformly random k-subset of `order` into its first k slots (Fisher-Yates, first k steps). */
function partialShuffle(order: number[], k: number, random: Random): void {
  for (let i = 0; i < k; i++) {
    const j = i + random.int(order.length - i);
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
}
