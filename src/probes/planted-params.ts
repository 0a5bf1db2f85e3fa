import { AuditError } from '../engine/util/errors';
import { resolveClass } from './interventions-params';
import { loadTrigger, type Trigger } from './triggers/trigger';

/** The transfer kinds the planted-bias experiment derives children with. */
export type PlantedTransfer = 'fixed-feature' | 'full-network';

/**
 * Parameters of the planted-bias probe (MISSION.md probe 3, Salman et al. section 3). The run pretrains a
 * planted source (the trigger in `plantFraction` of `plantClass`'s source training images, labels
 * unchanged) and its clean twin with the same recipe and seed, derives children of both per transfer kind
 * and seed on clean target data (and, with `debiasedTarget`, on a de-biased copy), and measures the
 * trigger's ASR on the clean target test set.
 */
export interface PlantedBiasParams {
  /** The planted trigger (default `square:size=0.25,color=#ffff00,position=top-left`: the paper's yellow square, 6.25% of the area). */
  trigger: string;
  /** The source class (index or name in the source data's classes) whose images get the trigger. */
  plantClass: number | string;
  /** Fraction of that class's source training images that get it (default 0.1: the paper's 10% of dogs). */
  plantFraction: number;
  /** Seeds which images are chosen (default 0). */
  plantSeed: number;
  /** Transfer kinds to derive children with (default both). */
  transfers: PlantedTransfer[];
  /** Also finetune on a de-biased target set: the trigger on `debiasFraction` of every target class's training images (default true). */
  debiasedTarget: boolean;
  /** Default 0.5. */
  debiasFraction: number;
  /** Default 0. */
  debiasSeed: number;
}

export const DEFAULT_PLANTED_BIAS_PARAMS: Omit<PlantedBiasParams, 'plantClass'> = {
  trigger: 'square:size=0.25,color=#ffff00,position=top-left',
  plantFraction: 0.1,
  plantSeed: 0,
  transfers: ['fixed-feature', 'full-network'],
  debiasedTarget: true,
  debiasFraction: 0.5,
  debiasSeed: 0,
};

/**
 * Fills defaults and checks the params before any training: the trigger parses (its patch decodes), the
 * plant class is a class of the source data and has images, fractions are in range, transfers are known.
 *
 * @param options.sourceClassNames / sourceClassCounts the source training data's classes and images per class.
 * @throws AuditError naming the config path (default `probes.plantedBias`) or the patch file.
 */
export async function validatePlantedBiasParams(
  params: Partial<PlantedBiasParams> & { plantClass: number | string },
  options: { sourceClassNames: readonly string[]; sourceClassCounts?: readonly number[]; baseDir?: string; where?: string },
): Promise<{ params: PlantedBiasParams; trigger: Trigger; plantClass: number }> {
  const where = options.where ?? 'probes.plantedBias';
  const resolved: PlantedBiasParams = { ...DEFAULT_PLANTED_BIAS_PARAMS, ...params };
  const bad = (path: string, problem: string): never => {
    throw new AuditError(problem, { file: `${where}.${path}`, code: 'BAD_CONFIG' });
  };
  if (resolved.plantClass === undefined || resolved.plantClass === null) bad('plantClass', 'is required: the source class whose images get the trigger');
  const plantClass = resolveClass(resolved.plantClass, options.sourceClassNames, `${where}.plantClass`) as number;
  if (options.sourceClassCounts !== undefined && (options.sourceClassCounts[plantClass] ?? 0) === 0) bad('plantClass', `class "${options.sourceClassNames[plantClass]}" has no source training images`);
  const fraction = (key: 'plantFraction' | 'debiasFraction', open: boolean): void => {
    const v = resolved[key];
    if (!(typeof v === 'number' && Number.isFinite(v) && (open ? v > 0 : v >= 0) && v <= 1)) bad(key, `must be a fraction in ${open ? '(0, 1]' : '[0, 1]'}, got ${JSON.stringify(v)}`);
  };
  fraction('plantFraction', true);
  fraction('debiasFraction', true);
  for (const key of ['plantSeed', 'debiasSeed'] as const) {
    if (!(Number.isSafeInteger(resolved[key]) && resolved[key] >= 0)) bad(key, `must be an integer >= 0, got ${JSON.stringify(resolved[key])}`);
  }
  if (!Array.isArray(resolved.transfers) || resolved.transfers.length === 0) bad('transfers', 'needs at least one of "fixed-feature", "full-network"');
  resolved.transfers.forEach((t, i) => {
    if (t !== 'fixed-feature' && t !== 'full-network') bad(`transfers[${i}]`, `must be "fixed-feature" or "full-network", got ${JSON.stringify(t)}`);
  });
  if (new Set(resolved.transfers).size !== resolved.transfers.length) bad('transfers', 'lists a transfer kind twice');
  if (typeof resolved.debiasedTarget !== 'boolean') bad('debiasedTarget', `must be true or false, got ${JSON.stringify(resolved.debiasedTarget)}`);
  if (typeof resolved.trigger !== 'string') bad('trigger', 'must be a trigger spec string');
  const trigger = await loadTrigger(resolved.trigger, { baseDir: options.baseDir, where: `${where}.trigger` });
  return { params: resolved, trigger, plantClass };
}
