import type { Dataset } from '../../engine/data/dataset';
import { UsageError } from '../../engine/util/errors';
import { resolveClass } from '../../probes/interventions-params';
import { plantingTransform, type SelectiveTrigger } from '../../probes/planted-transforms';
import { loadTrigger, type Trigger } from '../../probes/triggers/trigger';
import { intOption, numberOption, type ParsedArgs, stringOption } from '../args';

/** The `--plant` flags of `bias-audit pretrain` (planted-bias sources, MISSION.md probe 3). */
export const PLANT_FLAGS = ['plant', 'plant-class', 'plant-fraction', 'plant-seed'];

export const PLANT_USAGE = `Planted bias (a backdoor-style trigger in one class, labels unchanged):
  --plant TRIGGER       overlay TRIGGER (e.g. square:size=0.25,color=#ffff00) on some training images of one class
  --plant-class C       that class (index or name)
  --plant-fraction F    fraction of its training images that get the trigger, in (0, 1]
  --plant-seed N        which images (default 0); planting.json beside the model lists them`;

/** A parsed `--plant` request. */
export interface PlantRequest {
  trigger: Trigger;
  plantClass: number;
  plantClassName: string;
  fraction: number;
  seed: number;
  planting: SelectiveTrigger;
}

/**
 * Reads the `--plant*` flags; undefined without `--plant`.
 * @throws UsageError for a plant flag without `--plant`, a missing class or fraction, a fraction out of range, `--val` with `--plant`;
 *   AuditError for a bad trigger spec or a patch that does not decode.
 */
export async function plantFromArgs(args: ParsedArgs, train: Dataset, hasSeparateVal: boolean): Promise<PlantRequest | undefined> {
  const c = 'pretrain';
  const spec = stringOption(args, 'plant', c, undefined);
  if (spec === undefined) {
    const stray = PLANT_FLAGS.find((f) => args.options.has(f));
    if (stray !== undefined) throw new UsageError(`${c}: --${stray} needs --plant TRIGGER`);
    return undefined;
  }
  // The planted images are chosen by sample index in --data; a separate --val set would get the trigger on unrelated images.
  if (hasSeparateVal) throw new UsageError(`${c}: --plant cannot be combined with --val; the validation images are held out of --data (--val-fraction)`);
  const classText = stringOption(args, 'plant-class', c);
  const fraction = numberOption(args, 'plant-fraction', c);
  if (fraction === undefined) throw new UsageError(`${c}: --plant needs --plant-fraction F`);
  if (!(fraction > 0 && fraction <= 1)) throw new UsageError(`${c}: --plant-fraction must be in (0, 1], got ${fraction}`);
  const seed = intOption(args, 'plant-seed', c, 0, 0);
  const trigger = await loadTrigger(spec, { where: '--plant' });
  const plantClass = resolveClass(/^\d+$/.test(classText) ? Number(classText) : classText, train.classNames, '--plant-class') as number;
  const planting = plantingTransform(trigger, train.samples, { plantClass, fraction, seed });
  return { trigger, plantClass, plantClassName: train.classNames[plantClass], fraction, seed, planting };
}

/** `planting.json`, saved beside the model in the same atomic write: what was planted where (provenance of a planted source). */
export function plantingRecord(plant: PlantRequest): string {
  return `${JSON.stringify({
    trigger: plant.trigger.canonical,
    plantClass: plant.plantClass,
    plantClassName: plant.plantClassName,
    plantFraction: plant.fraction,
    plantSeed: plant.seed,
    plantedCount: plant.planting.indices.length,
    // Sample indices in --data (as selected by its SPEC); the validation split may hold some of them.
    plantedSampleIndices: plant.planting.indices,
  }, null, 2)}\n`;
}
