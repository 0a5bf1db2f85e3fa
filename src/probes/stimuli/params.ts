import { AuditError } from '../../engine/util/errors';

/** How stimulus pixels are parameterised while they are optimised (see parameterization.ts). */
export type StimulusParameterization = 'pixel' | 'fourier' | 'decorrelated' | 'fourier-decorrelated';
export const STIMULUS_PARAMETERIZATIONS: readonly StimulusParameterization[] = ['pixel', 'fourier', 'decorrelated', 'fourier-decorrelated'];

/**
 * Parameters of the strong-stimuli probe as written in an audit config (`probes.strongStimuli`) or on the
 * `bias-audit stimuli` command line. Every field has a default ({@link DEFAULT_STRONG_STIMULI_PARAMS}).
 */
export interface StrongStimuliParams {
  /**
   * Foundation classes to generate a stimulus for, by index or name. null (default): every foundation class,
   * or with an explicit `classMap` every mapped class.
   */
  classes: (number | string)[] | null;
  /** Optimisation steps per stimulus. Default 256. */
  steps: number;
  /** Adam step size on the raw parameters. Default 0.1 (Lucid uses 0.05 with 512 steps at 224 px; 0.1 converges in fewer steps on small images). */
  learningRate: number;
  /** The foundation score climbed: `logsoftmax` (log-probability, default: pushes the other classes down too) or `logit`. */
  score: 'logit' | 'logsoftmax';
  /** Random translation each step, uniform in [-jitterPixels, +jitterPixels] per axis. Default 2. */
  jitterPixels: number;
  /** Random zoom each step, uniform in [min, max]. Default [0.9, 1.1]. */
  scaleRange: [number, number];
  /** Random rotation each step, uniform in [-rotationDegrees, +rotationDegrees]. Default 10. */
  rotationDegrees: number;
  /** Weight of mean((u - 0.5)^2), u = pixel / 255, subtracted from the score. Default 0.1. */
  l2Penalty: number;
  /** Weight of the mean absolute difference of neighbouring u values (anisotropic total variation). Default 0.25. */
  totalVariationPenalty: number;
  /** Default `fourier-decorrelated` (Lucid's default; decorrelation is a no-op for grayscale inputs). */
  parameterization: StimulusParameterization;
  /** Fourier spectrum scaled by 1 / frequency^power. Default 1. */
  fourierDecayPower: number;
  /** Standard deviation of the random initial parameters. Default 0.01 (an almost uniform grey start). */
  initStd: number;
  /** Classes optimised together in one batch. Default 16. */
  batchSize: number;
  /** Seeds the initial parameters and every random transform. Default 0. */
  seed: number;
  /**
   * Foundation class (name or index) -> target class (name or index), for a target whose classes are not the
   * foundation's by index. null (default): by index when the class counts match, otherwise no mapping (label
   * modes only).
   */
  classMap: Record<string, string | number> | null;
}

/** The defaults; a config's `probes.strongStimuli` overrides any of them. */
export const DEFAULT_STRONG_STIMULI_PARAMS: Readonly<StrongStimuliParams> = Object.freeze({
  classes: null,
  steps: 256,
  learningRate: 0.1,
  score: 'logsoftmax',
  jitterPixels: 2,
  scaleRange: [0.9, 1.1] as [number, number],
  rotationDegrees: 10,
  l2Penalty: 0.1,
  totalVariationPenalty: 0.25,
  parameterization: 'fourier-decorrelated',
  fourierDecayPower: 1,
  initStd: 0.01,
  batchSize: 16,
  seed: 0,
  classMap: null,
});

/** Parameters after validation: classes resolved to foundation class indices. */
export interface ResolvedStrongStimuliParams extends Omit<StrongStimuliParams, 'classes'> {
  classes: number[];
}

/** How a foundation class maps to a class of the models the stimuli are scored on. */
export interface ClassMapping {
  kind: 'index' | 'explicit' | 'none';
  /** Indexed by foundation class: the mapped target class, or null. */
  targetOf: (number | null)[];
  /** Why there is no mapping, when there is none. */
  note: string | null;
}

/** What validation checks the parameters against. */
export interface StrongStimuliValidationContext {
  foundationClassNames: readonly string[];
  /** [height, width, channels] of the foundation's input. */
  foundationInputShape: readonly [number, number, number];
  /** Classes of the children / scratch models (the target dataset); absent when stimuli are generated alone. */
  targetClassNames?: readonly string[];
  /** Training images per target class: every mapped class needs at least one for its centroid. */
  targetTrainCounts?: readonly number[];
  /** Names the target training data in errors. */
  targetTrainSpec?: string;
  /** Config path errors name, default `probes.strongStimuli`. */
  fieldPath?: string;
}

/**
 * Fills in defaults and checks every parameter and the class mapping against the models and data, before any
 * training starts. Returns the resolved parameters and the class mapping the scoring uses.
 *
 * @throws AuditError (code `BAD_CONFIG`) naming the config field and the problem; (code `BAD_DATA`) naming the
 *   target data when a mapped class has no training image (its centroid would be undefined).
 * @example
 * const { params, mapping } = validateStrongStimuliParams({ steps: 128 }, { foundationClassNames, foundationInputShape: [28, 28, 1], targetClassNames });
 */
export function validateStrongStimuliParams(
  given: Partial<StrongStimuliParams> | undefined,
  context: StrongStimuliValidationContext,
): { params: ResolvedStrongStimuliParams; mapping: ClassMapping } {
  const path = context.fieldPath ?? 'probes.strongStimuli';
  // A field given as undefined (e.g. an absent optional config field passed through) takes its default.
  const defined = Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined));
  const merged: StrongStimuliParams = { ...DEFAULT_STRONG_STIMULI_PARAMS, ...defined } as StrongStimuliParams;
  const fail = (field: string, problem: string): never => {
    throw new AuditError(problem, { file: `${path}.${field}`, code: 'BAD_CONFIG' });
  };
  const requireInteger = (field: keyof StrongStimuliParams, min: number): void => {
    const v = merged[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) fail(field, `must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  };
  const requireNumber = (field: keyof StrongStimuliParams, min: number, exclusive: boolean): void => {
    const v = merged[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (exclusive && v === min)) {
      fail(field, `must be a number ${exclusive ? '>' : '>='} ${min}, got ${JSON.stringify(v)}`);
    }
  };
  requireInteger('steps', 1);
  requireInteger('batchSize', 1);
  requireInteger('seed', 0);
  requireNumber('learningRate', 0, true);
  requireNumber('jitterPixels', 0, false);
  requireNumber('rotationDegrees', 0, false);
  requireNumber('l2Penalty', 0, false);
  requireNumber('totalVariationPenalty', 0, false);
  requireNumber('fourierDecayPower', 0, false);
  requireNumber('initStd', 0, true);
  if (merged.score !== 'logit' && merged.score !== 'logsoftmax') fail('score', `must be 'logit' or 'logsoftmax', got ${JSON.stringify(merged.score)}`);
  if (!STIMULUS_PARAMETERIZATIONS.includes(merged.parameterization)) {
    fail('parameterization', `must be one of ${STIMULUS_PARAMETERIZATIONS.join(', ')}, got ${JSON.stringify(merged.parameterization)}`);
  }
  const range = merged.scaleRange;
  if (!Array.isArray(range) || range.length !== 2 || !range.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0) || range[0] > range[1]) {
    fail('scaleRange', `must be [min, max] with 0 < min <= max, got ${JSON.stringify(range)}`);
  }
  const [height, width] = context.foundationInputShape;
  if (merged.jitterPixels >= Math.min(height, width) / 2) {
    fail('jitterPixels', `${merged.jitterPixels} pixels would move a ${height}x${width} image out of view; use less than ${Math.min(height, width) / 2}`);
  }

  const mapping = resolveClassMapping(context.foundationClassNames, context.targetClassNames, merged.classMap, `${path}.classMap`);
  const classes = resolveClasses(merged.classes, context.foundationClassNames, mapping, `${path}.classes`);
  if (context.targetTrainCounts !== undefined) {
    for (const foundationClass of classes) {
      const target = mapping.targetOf[foundationClass];
      if (target === null) continue;
      if ((context.targetTrainCounts[target] ?? 0) < 1) {
        throw new AuditError(
          `target class ${target} ('${context.targetClassNames?.[target] ?? target}') has no training image, so its centroid is undefined; drop foundation class ${foundationClass} from ${path}.classes or map it elsewhere`,
          { file: context.targetTrainSpec ?? `${path}.classMap`, code: 'BAD_DATA' },
        );
      }
    }
  }
  const { classes: _given, ...rest } = merged;
  return { params: { ...rest, scaleRange: [range[0], range[1]], classes }, mapping };
}

/**
 * Foundation class t -> target class: explicit map when given, else by index when the class counts match,
 * else none (only label-mode statistics are computable).
 */
export function resolveClassMapping(
  foundationClassNames: readonly string[],
  targetClassNames: readonly string[] | undefined,
  classMap: Record<string, string | number> | null,
  fieldPath = 'probes.strongStimuli.classMap',
): ClassMapping {
  const none = (note: string): ClassMapping => ({ kind: 'none', targetOf: foundationClassNames.map(() => null), note });
  if (targetClassNames === undefined) {
    if (classMap !== null) throw new AuditError('a class map needs target models to map to', { file: fieldPath, code: 'BAD_CONFIG' });
    return none('the stimuli were not scored on any target model');
  }
  if (classMap !== null) {
    if (typeof classMap !== 'object' || Array.isArray(classMap)) {
      throw new AuditError(`must be an object {foundation class: target class}, got ${JSON.stringify(classMap)}`, { file: fieldPath, code: 'BAD_CONFIG' });
    }
    const targetOf: (number | null)[] = foundationClassNames.map(() => null);
    const mappedFrom = new Map<number, number>();
    for (const [key, value] of Object.entries(classMap)) {
      const from = classIndex(key, foundationClassNames, `${fieldPath}`, 'foundation');
      const to = classIndex(value, targetClassNames, `${fieldPath}.${key}`, 'target');
      const earlier = mappedFrom.get(to);
      if (earlier !== undefined && earlier !== from) {
        throw new AuditError(`target class '${targetClassNames[to]}' is mapped from both '${foundationClassNames[earlier]}' and '${foundationClassNames[from]}'`, { file: fieldPath, code: 'BAD_CONFIG' });
      }
      mappedFrom.set(to, from);
      targetOf[from] = to;
    }
    if (mappedFrom.size === 0) throw new AuditError('the class map is empty', { file: fieldPath, code: 'BAD_CONFIG' });
    return { kind: 'explicit', targetOf, note: null };
  }
  if (foundationClassNames.length === targetClassNames.length) {
    return { kind: 'index', targetOf: foundationClassNames.map((_, t) => t), note: null };
  }
  return none(
    `the foundation has ${foundationClassNames.length} classes and the target models ${targetClassNames.length}, and no class map was given (${fieldPath}), so the outperform statistics are not computable; label modes are reported`,
  );
}

function resolveClasses(given: (number | string)[] | null, foundationClassNames: readonly string[], mapping: ClassMapping, fieldPath: string): number[] {
  if (given === null || given === undefined) {
    const all = foundationClassNames.map((_, t) => t);
    return mapping.kind === 'explicit' ? all.filter((t) => mapping.targetOf[t] !== null) : all;
  }
  if (!Array.isArray(given) || given.length === 0) {
    throw new AuditError(`must be a non-empty list of foundation classes (indices or names) or null, got ${JSON.stringify(given)}`, { file: fieldPath, code: 'BAD_CONFIG' });
  }
  const classes: number[] = [];
  for (const entry of given) {
    const t = classIndex(entry, foundationClassNames, fieldPath, 'foundation');
    if (classes.includes(t)) throw new AuditError(`class '${foundationClassNames[t]}' is listed twice`, { file: fieldPath, code: 'BAD_CONFIG' });
    if (mapping.kind === 'explicit' && mapping.targetOf[t] === null) {
      throw new AuditError(`class '${foundationClassNames[t]}' has no entry in the class map, so its stimulus could not be scored`, { file: fieldPath, code: 'BAD_CONFIG' });
    }
    classes.push(t);
  }
  return classes;
}

/** A class given by name, or by index (a number or a string of digits that is not itself a class name). */
function classIndex(value: unknown, names: readonly string[], fieldPath: string, which: 'foundation' | 'target'): number {
  if (typeof value === 'string') {
    const byName = names.indexOf(value);
    if (byName >= 0) return byName;
    if (/^\d+$/.test(value)) return classIndex(Number(value), names, fieldPath, which);
    throw new AuditError(`no ${which} class named '${value}' (classes: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', ...' : ''})`, { file: fieldPath, code: 'BAD_CONFIG' });
  }
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < names.length) return value;
  throw new AuditError(`${JSON.stringify(value)} is not a ${which} class (an index 0..${names.length - 1} or a class name)`, { file: fieldPath, code: 'BAD_CONFIG' });
}
