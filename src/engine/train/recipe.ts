import { AuditError } from '../util/errors';
import type { LearningRateSchedule } from './schedule';
import type { OptimizerConfig } from './optimizer';

/**
 * Everything that decides how a model is trained, recorded with every trained model (lineage) and hashed
 * into resumable step keys. Defaults follow the source papers' recipe (SGD, momentum 0.9, weight decay
 * 5e-4, triangular cyclic learning rate) scaled to small CPU runs.
 */
export interface Recipe {
  epochs: number;
  batchSize: number;
  optimizer: 'sgd' | 'adam';
  /** Peak learning rate (the schedule scales it). */
  learningRate: number;
  /** SGD momentum (ignored by Adam). */
  momentum: number;
  /** L2 weight decay added to the gradient (PyTorch's `weight_decay`). */
  weightDecay: number;
  schedule: 'constant' | 'cyclic' | 'step';
  /** Cyclic: epoch at which the rate peaks. Step: the rate is multiplied by `stepFactor` every `peakEpoch` epochs. */
  peakEpoch: number;
  stepFactor: number;
  augment: { randomCropPadding: number; horizontalFlip: boolean } | null;
  /** Fraction of the training data held out (stratified) for validation when no validation set is given. */
  validationFraction: number;
  /** Restore the weights of the epoch with the best validation accuracy at the end. */
  keepBest: boolean;
}

export const DEFAULT_RECIPE: Recipe = {
  epochs: 4,
  batchSize: 64,
  optimizer: 'sgd',
  learningRate: 0.05,
  momentum: 0.9,
  weightDecay: 5e-4,
  schedule: 'cyclic',
  peakEpoch: 1,
  stepFactor: 0.1,
  augment: null,
  validationFraction: 0.1,
  keepBest: true,
};

/** A full recipe from defaults and overrides, validated. `where` names the source in errors (a flag, a config path). */
export function resolveRecipe(overrides: Partial<Recipe>, where = 'recipe'): Recipe {
  const r: Recipe = { ...DEFAULT_RECIPE, ...overrides };
  const positiveInt = (k: keyof Recipe): void => {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new AuditError(`${where}.${k} must be a positive integer, got ${JSON.stringify(v)}`, { code: 'BAD_CONFIG' });
  };
  const nonNegative = (k: keyof Recipe): void => {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new AuditError(`${where}.${k} must be a number >= 0, got ${JSON.stringify(v)}`, { code: 'BAD_CONFIG' });
  };
  positiveInt('epochs');
  positiveInt('batchSize');
  nonNegative('learningRate');
  nonNegative('momentum');
  nonNegative('weightDecay');
  nonNegative('peakEpoch');
  nonNegative('stepFactor');
  if (!['sgd', 'adam'].includes(r.optimizer)) throw new AuditError(`${where}.optimizer must be "sgd" or "adam", got ${JSON.stringify(r.optimizer)}`, { code: 'BAD_CONFIG' });
  if (!['constant', 'cyclic', 'step'].includes(r.schedule)) throw new AuditError(`${where}.schedule must be "constant", "cyclic" or "step", got ${JSON.stringify(r.schedule)}`, { code: 'BAD_CONFIG' });
  if (!(r.validationFraction >= 0 && r.validationFraction < 1)) throw new AuditError(`${where}.validationFraction must be in [0, 1), got ${JSON.stringify(r.validationFraction)}`, { code: 'BAD_CONFIG' });
  if (r.schedule === 'step' && r.peakEpoch < 1) throw new AuditError(`${where}.peakEpoch must be >= 1 for the step schedule`, { code: 'BAD_CONFIG' });
  return r;
}

export function optimizerConfigOf(r: Recipe): OptimizerConfig {
  return r.optimizer === 'sgd'
    ? { kind: 'sgd', momentum: r.momentum, weightDecay: r.weightDecay }
    : { kind: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: r.weightDecay };
}

export function scheduleOf(r: Recipe): LearningRateSchedule {
  switch (r.schedule) {
    case 'constant':
      return { kind: 'constant' };
    case 'cyclic':
      return { kind: 'cyclic', peakEpoch: r.peakEpoch };
    case 'step':
      return { kind: 'step', everyEpochs: r.peakEpoch, factor: r.stepFactor };
  }
}
