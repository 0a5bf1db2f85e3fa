import type { SampleRecord } from '../engine/data/dataset';
import { AuditError } from '../engine/util/errors';
import { Random, deriveSeed } from '../engine/util/random';
import type { FinetuningIntervention } from '../protocol/results';
import { interventionId, type FinetuningInterventionParams, type PreparedGroupDisparity } from './groups-params';

/** The samples the interventions read: label and attribute columns. */
type Sample = Pick<SampleRecord, 'index' | 'label' | 'attributes'>;

/**
 * Loss weights that balance the label x attribute cells: every non-empty cell gets the same total weight
 * and the weights sum to the number of samples (w = N / (cells * n_cell)). Samples outside `indices` get 0.
 * Indexed by sample index, as `fitModel`'s `sampleWeights` expects.
 */
export function reweightingWeights(samples: readonly Sample[], attribute: string, indices?: readonly number[]): Float32Array {
  const pool = indices ?? samples.map((s) => s.index);
  const cellOf = (i: number): string => `${samples[i].label}\u0000${samples[i].attributes[attribute] ?? ''}`;
  const counts = new Map<string, number>();
  for (const i of pool) counts.set(cellOf(i), (counts.get(cellOf(i)) ?? 0) + 1);
  const weights = new Float32Array(samples.length);
  for (const i of pool) weights[i] = pool.length / (counts.size * (counts.get(cellOf(i)) as number));
  return weights;
}

/** Counts of a binary label (positive class or not) x binary attribute (value coded 1 or not). */
export interface CellCounts {
  /** label positive, attribute 1 */
  n11: number;
  n10: number;
  n01: number;
  n00: number;
}

/** Coding of a binary task and a binary attribute for correlations. */
export interface BinaryCoding {
  attribute: string;
  positiveClass: number;
  /** The attribute value coded 1. */
  positiveValue: string;
}

/** The label x attribute cell counts of `indices` (default all samples). */
export function cellCounts(samples: readonly Sample[], coding: BinaryCoding, indices?: readonly number[]): CellCounts {
  const counts: CellCounts = { n11: 0, n10: 0, n01: 0, n00: 0 };
  for (const i of indices ?? samples.map((s) => s.index)) counts[cellKey(samples[i], coding)]++;
  return counts;
}

/**
 * The phi coefficient (Pearson correlation of the two binary variables) of label and attribute:
 * (n11 n00 - n10 n01) / sqrt(n1. n0. n.1 n.0). null when either variable is constant.
 */
export function phiCorrelation(c: CellCounts): number | null {
  const denominator = Math.sqrt((c.n11 + c.n10) * (c.n01 + c.n00) * (c.n11 + c.n01) * (c.n10 + c.n00));
  return denominator === 0 ? null : (c.n11 * c.n00 - c.n10 * c.n01) / denominator;
}

/**
 * Cell counts of a set of about `size` images with label-attribute correlation `correlation` and both
 * marginals balanced (half positives, half with the attribute): then phi = 4 p11 - 1, so
 * n11 = n00 = size (1 + rho) / 4 and n10 = n01 = size (1 - rho) / 4, rounded.
 */
export function targetCells(size: number, correlation: number): CellCounts {
  const agree = Math.round((size * (1 + correlation)) / 4);
  const disagree = Math.round((size * (1 - correlation)) / 4);
  return { n11: agree, n00: agree, n10: disagree, n01: disagree };
}

/** The largest size whose {@link targetCells} fit in the available cells. */
export function maxResampleSize(available: CellCounts, correlation: number): number {
  const agreeShare = (1 + correlation) / 4;
  const disagreeShare = (1 - correlation) / 4;
  let size = Infinity;
  if (agreeShare > 0) size = Math.min(size, available.n11 / agreeShare, available.n00 / agreeShare);
  if (disagreeShare > 0) size = Math.min(size, available.n10 / disagreeShare, available.n01 / disagreeShare);
  size = Math.floor(size);
  // Rounding may ask one image more than a cell has: step down until it fits.
  while (size > 0 && !fits(targetCells(size, correlation), available)) size--;
  return size;
}

/** A resampled finetuning set. */
export interface ResampledSet {
  /** Sample indices to train on, ascending (`fitModel`'s `trainIndices`). */
  indices: number[];
  cells: CellCounts;
  /** phi of the chosen set. */
  achievedCorrelation: number | null;
}

/**
 * Resamples the finetuning data (without replacement) to `size` images with label-attribute correlation
 * `correlation` and balanced marginals: each cell's images are a seeded random choice among that cell's
 * images of `indices` (default all).
 * @throws AuditError when a cell has too few images for that size (see {@link maxResampleSize}).
 */
export function resampleToCorrelation(
  samples: readonly Sample[],
  coding: BinaryCoding,
  options: { correlation: number; size: number; seed: number; indices?: readonly number[] },
): ResampledSet {
  const pool = options.indices ?? samples.map((s) => s.index);
  const byCell: Record<keyof CellCounts, number[]> = { n11: [], n10: [], n01: [], n00: [] };
  for (const i of [...pool].sort((a, b) => a - b)) byCell[cellKey(samples[i], coding)].push(i);
  const wanted = targetCells(options.size, options.correlation);
  const available: CellCounts = { n11: byCell.n11.length, n10: byCell.n10.length, n01: byCell.n01.length, n00: byCell.n00.length };
  if (!fits(wanted, available)) {
    throw new AuditError(
      `cannot resample ${options.size} images at label-attribute correlation ${options.correlation}: it needs cells ${formatCells(wanted)} but the finetuning data has ${formatCells(available)} (at most ${maxResampleSize(available, options.correlation)} images)`,
      { code: 'BAD_CONFIG' },
    );
  }
  const indices: number[] = [];
  for (const key of ['n11', 'n10', 'n01', 'n00'] as const) {
    indices.push(...new Random(deriveSeed(options.seed, 'resample', options.correlation, key)).shuffle([...byCell[key]]).slice(0, wanted[key]));
  }
  return { indices: indices.sort((a, b) => a - b), cells: wanted, achievedCorrelation: phiCorrelation(wanted) };
}

/** What the run trains one finetuning-data variant with. */
export interface FinetuningInterventionPlan {
  intervention: FinetuningIntervention;
  /** `fitModel`'s `trainIndices`; null: the whole pool. */
  trainIndices: number[] | null;
  /** `fitModel`'s `sampleWeights`; null: unweighted. */
  sampleWeights: Float32Array | null;
  trainImages: number;
  /** phi of label and attribute in the training set (weighted for reweighting); null without a binary coding. */
  correlation: number | null;
}

/**
 * The training sets of the finetuning-data interventions, in the params' order. `pool` (default all
 * training samples) is what the run would train on without intervention. Resampled sets all get
 * `params.resampleSize` images, or by default the largest size every requested correlation reaches.
 */
export function planFinetuningInterventions(samples: readonly Sample[], prepared: PreparedGroupDisparity, pool?: readonly number[]): FinetuningInterventionPlan[] {
  const { params } = prepared;
  const indices = pool ?? samples.map((s) => s.index);
  const coding: BinaryCoding | null =
    prepared.positiveClass !== null && prepared.attributePositiveValue !== null
      ? { attribute: params.attribute, positiveClass: prepared.positiveClass, positiveValue: prepared.attributePositiveValue }
      : null;
  const available = coding ? cellCounts(samples, coding, indices) : null;
  const resamples = params.interventions.filter((i): i is Extract<FinetuningInterventionParams, { kind: 'resample' }> => i.kind === 'resample');
  const size = params.resampleSize ?? (available && resamples.length > 0 ? Math.min(...resamples.map((r) => maxResampleSize(available, r.correlation))) : 0);
  return params.interventions.map((i): FinetuningInterventionPlan => {
    const intervention: FinetuningIntervention = {
      id: interventionId(i),
      kind: i.kind,
      correlation: i.kind === 'resample' ? i.correlation : null,
      label: i.kind === 'none' ? 'as given' : i.kind === 'reweight' ? 'reweighted (label x attribute cells balanced)' : `resampled to correlation ${i.correlation}`,
    };
    const done = (plan: Omit<FinetuningInterventionPlan, 'intervention'>): FinetuningInterventionPlan => ({
      ...plan,
      intervention: { ...intervention, trainImages: plan.trainImages, achievedCorrelation: plan.correlation },
    });
    if (i.kind === 'none') return done({ trainIndices: null, sampleWeights: null, trainImages: indices.length, correlation: available ? phiCorrelation(available) : null });
    if (i.kind === 'reweight') {
      const weights = reweightingWeights(samples, params.attribute, indices);
      return done({ trainIndices: null, sampleWeights: weights, trainImages: indices.length, correlation: coding ? weightedPhi(samples, coding, indices, weights) : null });
    }
    if (coding === null) throw new AuditError('resampling needs a binary task and a binary attribute', { code: 'BAD_CONFIG' });
    if (size < 4) {
      throw new AuditError(`resampling to correlation ${i.correlation} leaves ${size} images: the finetuning data has too few images in some label x attribute cell (${formatCells(available as CellCounts)})`, { code: 'BAD_DATA' });
    }
    const set = resampleToCorrelation(samples, coding, { correlation: i.correlation, size, seed: params.resampleSeed, indices });
    return done({ trainIndices: set.indices, sampleWeights: null, trainImages: set.indices.length, correlation: set.achievedCorrelation });
  });
}

/** phi with each sample counted by its weight (what the reweighted loss sees). */
function weightedPhi(samples: readonly Sample[], coding: BinaryCoding, indices: readonly number[], weights: Float32Array): number | null {
  const c: CellCounts = { n11: 0, n10: 0, n01: 0, n00: 0 };
  for (const i of indices) c[cellKey(samples[i], coding)] += weights[i];
  const phi = phiCorrelation(c);
  // Balanced cells give exactly 0; float32 weights leave ~1e-8 of noise.
  return phi === null ? null : Math.abs(phi) < 1e-6 ? 0 : phi;
}

function cellKey(sample: Sample, coding: BinaryCoding): keyof CellCounts {
  const y = sample.label === coding.positiveClass;
  const a = sample.attributes[coding.attribute] === coding.positiveValue;
  return y ? (a ? 'n11' : 'n10') : a ? 'n01' : 'n00';
}

function fits(wanted: CellCounts, available: CellCounts): boolean {
  return wanted.n11 <= available.n11 && wanted.n10 <= available.n10 && wanted.n01 <= available.n01 && wanted.n00 <= available.n00;
}

function formatCells(c: CellCounts): string {
  return `(positive & attribute ${c.n11}, positive & not ${c.n10}, negative & attribute ${c.n01}, negative & not ${c.n00})`;
}
