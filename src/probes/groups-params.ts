import type { Dataset } from '../engine/data/dataset';
import { AuditError } from '../engine/util/errors';
import { resolveClass } from './interventions-params';

/** A finetuning-data intervention to train a variant of every child (and scratch) with. */
export type FinetuningInterventionParams =
  | { kind: 'none' }
  /** Loss weights that give every label x attribute cell the same total weight. */
  | { kind: 'reweight' }
  /** A subset of the finetuning data with this label-attribute correlation (phi, in [-1, 1]), balanced marginals. */
  | { kind: 'resample'; correlation: number };

/**
 * Parameters of the group-disparity probe (MISSION.md probe 4; "Overwriting Pretrained Bias with
 * Finetuning Data"). The attribute is a manifest column of the target data (train, validation and test).
 */
export interface GroupDisparityParams {
  /** The manifest column holding the sensitive attribute (e.g. `gender`); each distinct value is a group. */
  attribute: string;
  /** Binary tasks: the positive class (index or name) for TPR/FPR and the correlation's sign (default: class 1). */
  positiveClass: number | string | null;
  /** The attribute value coded 1 in the label-attribute correlation (default: the second value in code-point order). */
  attributePositiveValue: string | null;
  /** Default: none, reweight, resample to correlation 0. */
  interventions: FinetuningInterventionParams[];
  /** Images per resampled set; null (default): the largest size that every requested correlation reaches, so the variants differ only in correlation. */
  resampleSize: number | null;
  /** Seeds which images a resampled set keeps (default 0). */
  resampleSeed: number;
}

export const DEFAULT_GROUP_DISPARITY_PARAMS: Omit<GroupDisparityParams, 'attribute'> = {
  positiveClass: null,
  attributePositiveValue: null,
  interventions: [{ kind: 'none' }, { kind: 'reweight' }, { kind: 'resample', correlation: 0 }],
  resampleSize: null,
  resampleSeed: 0,
};

/** Params after validation, with what was derived from the data. */
export interface PreparedGroupDisparity {
  params: GroupDisparityParams;
  /** Attribute values seen in the test data, code-point order. */
  groups: string[];
  binary: boolean;
  /** Binary tasks: the positive class index; null otherwise. */
  positiveClass: number | null;
  /** The attribute value coded 1 in correlations; null unless the attribute has exactly two values in the training data. */
  attributePositiveValue: string | null;
}

/** The intervention's id in results.json: `none`, `reweight`, `resample-0.5`. */
export function interventionId(i: FinetuningInterventionParams): string {
  return i.kind === 'resample' ? `resample-${i.correlation}` : i.kind;
}

/**
 * Fills defaults and checks the params against the data before any training: the attribute is a column of
 * every dataset and every sample has a value, the test data has at least two groups, the positive class
 * exists, resampling has a binary task and a binary attribute, correlations are in [-1, 1].
 * Binary tasks need validation data (the decision threshold is calibrated on it).
 *
 * @throws AuditError naming the dataset (and the attribute) or the config path (default `probes.groupDisparity`).
 */
export function validateGroupDisparityParams(
  params: Partial<GroupDisparityParams> & { attribute: string },
  data: { train: Dataset; test: Dataset; validation: Dataset | null },
  options: { where?: string } = {},
): PreparedGroupDisparity {
  const where = options.where ?? 'probes.groupDisparity';
  const resolved: GroupDisparityParams = { ...DEFAULT_GROUP_DISPARITY_PARAMS, ...params };
  const bad = (path: string, problem: string): never => {
    throw new AuditError(problem, { file: `${where}.${path}`, code: 'BAD_CONFIG' });
  };
  if (typeof resolved.attribute !== 'string' || resolved.attribute === '') bad('attribute', 'must name a manifest column');
  const datasets = [data.train, data.test, ...(data.validation ? [data.validation] : [])];
  for (const d of datasets) attributeValues(d, resolved.attribute);
  const classNames = data.test.classNames;
  const binary = classNames.length === 2;
  const groups = [...new Set(attributeValues(data.test, resolved.attribute))].sort(byCodePoint);
  if (groups.length < 2) {
    throw new AuditError(`attribute "${resolved.attribute}" has a single value (${JSON.stringify(groups[0])}) in the test data: there are no groups to compare`, { file: data.test.specString, code: 'BAD_DATA' });
  }
  if (!binary && resolved.positiveClass !== null) bad('positiveClass', `applies to binary tasks only; the data has ${classNames.length} classes`);
  const positiveClass = binary ? (resolveClass(resolved.positiveClass ?? 1, classNames, `${where}.positiveClass`) as number) : null;
  if (binary && data.validation === null) {
    throw new AuditError('a binary task needs validation data to calibrate the decision threshold (TPR/FPR); give the target data a validation SPEC', { file: `${where}`, code: 'BAD_CONFIG' });
  }
  const trainValues = [...new Set(attributeValues(data.train, resolved.attribute))].sort(byCodePoint);
  if (resolved.attributePositiveValue !== null && !trainValues.includes(resolved.attributePositiveValue)) {
    bad('attributePositiveValue', `"${resolved.attributePositiveValue}" is not a value of "${resolved.attribute}" in the training data (${trainValues.join(', ')})`);
  }
  const attributePositiveValue = trainValues.length === 2 ? (resolved.attributePositiveValue ?? trainValues[1]) : null;
  if (!Array.isArray(resolved.interventions) || resolved.interventions.length === 0) bad('interventions', 'needs at least one intervention (e.g. {"kind": "none"})');
  const ids = new Set<string>();
  resolved.interventions.forEach((i, k) => {
    const path = `interventions[${k}]`;
    if (i?.kind !== 'none' && i?.kind !== 'reweight' && i?.kind !== 'resample') bad(`${path}.kind`, `must be "none", "reweight" or "resample", got ${JSON.stringify((i as { kind?: unknown })?.kind)}`);
    if (i.kind === 'resample') {
      if (!(typeof i.correlation === 'number' && i.correlation >= -1 && i.correlation <= 1)) bad(`${path}.correlation`, `must be a number in [-1, 1], got ${JSON.stringify(i.correlation)}`);
      if (!binary) bad(path, `resampling to a label-attribute correlation needs a binary task; the data has ${classNames.length} classes (use "reweight")`);
      if (trainValues.length !== 2) bad(path, `resampling to a correlation needs a binary attribute; "${resolved.attribute}" has ${trainValues.length} values in the training data (${trainValues.join(', ')})`);
    }
    const id = interventionId(i);
    if (ids.has(id)) bad(path, `intervention "${id}" is listed twice`);
    ids.add(id);
  });
  if (resolved.resampleSize !== null && !(Number.isInteger(resolved.resampleSize) && resolved.resampleSize >= 4)) bad('resampleSize', `must be an integer >= 4 or null, got ${JSON.stringify(resolved.resampleSize)}`);
  if (!(Number.isSafeInteger(resolved.resampleSeed) && resolved.resampleSeed >= 0)) bad('resampleSeed', `must be an integer >= 0, got ${JSON.stringify(resolved.resampleSeed)}`);
  return { params: resolved, groups, binary, positiveClass, attributePositiveValue };
}

/**
 * Every sample's value of `attribute`, in sample order.
 * @throws AuditError naming the dataset when it has no such column (listing the columns it has) or a sample has no value.
 */
export function attributeValues(data: Dataset, attribute: string): string[] {
  if (!data.attributeNames.includes(attribute)) {
    const has = data.attributeNames.length > 0 ? `its attribute columns are ${data.attributeNames.join(', ')}` : 'it has no attribute columns (attributes come from a CSV/JSONL manifest: path,label,<attribute>)';
    throw new AuditError(`the data has no attribute "${attribute}": ${has}`, { file: data.specString, code: 'MISSING_ATTRIBUTE' });
  }
  return data.samples.map((s) => {
    const value = s.attributes[attribute];
    if (value === undefined || value.trim() === '') {
      throw new AuditError(`sample ${s.index}${s.path !== undefined ? ` (${s.path})` : ''} has no value for attribute "${attribute}"`, { file: data.specString, code: 'MISSING_ATTRIBUTE' });
    }
    return value;
  });
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
