import type { PixelTransform } from '../engine/data/batches';
import type { SampleRecord } from '../engine/data/dataset';
import { AuditError } from '../engine/util/errors';
import { Random, deriveSeed } from '../engine/util/random';
import type { Trigger } from './triggers/trigger';

/** A transform that overlays a trigger on a fixed set of training images, and which ones. */
export interface SelectiveTrigger {
  /** Applies the trigger to the chosen sample indices, leaves every other image untouched. */
  transform: PixelTransform;
  /** The chosen sample indices, ascending. */
  indices: number[];
  /** A stable id of the transform: trigger, selection rule and seed (for step keys and caches). */
  transformId: string;
}

/**
 * The samples to plant the trigger in: `round(fraction * n)` of the n samples of class `plantClass` (at
 * least one when the fraction is above 0), chosen by a seeded shuffle of the class's sample indices in
 * ascending order. The choice depends only on the sample indices, the labels and the seed: the same
 * dataset selection and seed give the same images, whatever the batch order.
 */
export function plantedSampleIndices(samples: readonly Pick<SampleRecord, 'index' | 'label'>[], options: { plantClass: number; fraction: number; seed: number }): number[] {
  checkFraction(options.fraction, 'plantFraction');
  const members = samples.filter((s) => s.label === options.plantClass).map((s) => s.index).sort((a, b) => a - b);
  if (members.length === 0) throw new AuditError(`class ${options.plantClass} has no training images to plant the trigger in`, { code: 'EMPTY_DATA' });
  return chooseFraction(members, options.fraction, deriveSeed(options.seed, 'plant', options.plantClass));
}

/**
 * Salman et al. section 3's planted bias: the trigger in `fraction` of class `plantClass`'s training images,
 * labels unchanged. Pass `transform` to `fitModel` (or `trainAndSave`) when pretraining the planted source.
 */
export function plantingTransform(trigger: Trigger, samples: readonly Pick<SampleRecord, 'index' | 'label'>[], options: { plantClass: number; fraction: number; seed: number }): SelectiveTrigger {
  const indices = plantedSampleIndices(samples, options);
  return selective(trigger, indices, `plant:${trigger.transformId}:class=${options.plantClass}:fraction=${options.fraction}:seed=${options.seed}`);
}

/**
 * The samples of a de-biased target set: within every class, `round(fraction * n_c)` samples chosen by a
 * seeded shuffle, so the trigger appears in every class at the same rate and carries no information about
 * the label ("the trigger added uniformly at random across classes").
 */
export function debiasedSampleIndices(samples: readonly Pick<SampleRecord, 'index' | 'label'>[], options: { fraction: number; seed: number }): number[] {
  checkFraction(options.fraction, 'debiasFraction');
  const byClass = new Map<number, number[]>();
  for (const s of samples) {
    const members = byClass.get(s.label);
    if (members === undefined) byClass.set(s.label, [s.index]);
    else members.push(s.index);
  }
  const chosen: number[] = [];
  for (const [label, members] of [...byClass.entries()].sort((a, b) => a[0] - b[0])) {
    chosen.push(...chooseFraction(members.sort((a, b) => a - b), options.fraction, deriveSeed(options.seed, 'debias', label)));
  }
  return chosen.sort((a, b) => a - b);
}

/** The de-biased target transform: the trigger on {@link debiasedSampleIndices}. Pass it to `fitModel` when finetuning a child. */
export function debiasedTransform(trigger: Trigger, samples: readonly Pick<SampleRecord, 'index' | 'label'>[], options: { fraction: number; seed: number }): SelectiveTrigger {
  const indices = debiasedSampleIndices(samples, options);
  return selective(trigger, indices, `debias:${trigger.transformId}:fraction=${options.fraction}:seed=${options.seed}`);
}

function selective(trigger: Trigger, indices: number[], transformId: string): SelectiveTrigger {
  const chosen = new Set(indices);
  return {
    transform: (pixels, height, width, channels, sampleIndex) => {
      if (chosen.has(sampleIndex)) trigger.apply(pixels, height, width, channels, sampleIndex);
    },
    indices,
    transformId,
  };
}

function chooseFraction(sortedMembers: number[], fraction: number, seed: number): number[] {
  const count = fraction > 0 ? Math.max(1, Math.round(fraction * sortedMembers.length)) : 0;
  return new Random(seed).shuffle([...sortedMembers]).slice(0, count).sort((a, b) => a - b);
}

function checkFraction(fraction: number, name: string): void {
  if (!(Number.isFinite(fraction) && fraction >= 0 && fraction <= 1)) throw new AuditError(`${name} must be in [0, 1], got ${fraction}`, { code: 'BAD_CONFIG' });
}
