import { AuditError } from '../engine/util/errors';
import type { TriggerEntry } from '../protocol/results';
import { loadTrigger, type Trigger } from './triggers/trigger';

/** One overlay of the interventions probe, as the audit config writes it. */
export interface InterventionTriggerParams {
  /** Trigger spec, e.g. `square:size=0.25,color=#ffff00,position=top-left` (see TRIGGER_SPEC_HELP). */
  spec: string;
  /** Id in results.json (default: the kind, with `-2`, `-3` ... for repeats). */
  id?: string;
  /** Class (index or name in the target data's classes) to measure the targeted ASR for; default none. */
  targetClass?: number | string | null;
}

/** Parameters of the interventions probe (MISSION.md probe 2). */
export interface InterventionsParams {
  /** The overlays to test; at least one. */
  triggers: InterventionTriggerParams[];
  /** Percentile-bootstrap resamples over test images for the clean-accuracy and ASR intervals (default 1000; 0: no intervals). */
  bootstrapResamples: number;
  /** Seed of the bootstrap (default 0). */
  bootstrapSeed: number;
  /** Test image shown with each trigger applied in the report (default 0). */
  exampleIndex: number;
}

export const DEFAULT_INTERVENTIONS_PARAMS: Omit<InterventionsParams, 'triggers'> = {
  bootstrapResamples: 1000,
  bootstrapSeed: 0,
  exampleIndex: 0,
};

/** A validated trigger: its results.json entry and the loaded overlay. */
export interface PreparedTrigger {
  entry: TriggerEntry;
  trigger: Trigger;
}

/**
 * Fills defaults and checks everything that can be checked before training: every spec parses, every patch
 * PNG decodes, ids are unique, target classes name a class of the target data.
 *
 * @param options.classNames the target data's classes (target classes resolve against them).
 * @param options.baseDir resolves relative patch files (the config file's folder).
 * @param options.where the config path of these params in errors (default `probes.interventions`).
 * @throws AuditError naming the config path (or the PNG) of the first problem.
 */
export async function validateInterventionsParams(
  params: Partial<Omit<InterventionsParams, 'triggers'>> & { triggers: (InterventionTriggerParams | string)[] },
  options: { classNames: readonly string[]; baseDir?: string; where?: string },
): Promise<{ params: InterventionsParams; triggers: PreparedTrigger[] }> {
  const where = options.where ?? 'probes.interventions';
  // A bare string is a trigger spec without id or target class (the config's short form).
  const triggerList = Array.isArray(params.triggers) ? params.triggers.map((t) => (typeof t === 'string' ? { spec: t } : t)) : params.triggers;
  const resolved: InterventionsParams = { ...DEFAULT_INTERVENTIONS_PARAMS, ...params, triggers: triggerList };
  const bad = (path: string, problem: string): never => {
    throw new AuditError(problem, { file: `${where}.${path}`, code: 'BAD_CONFIG' });
  };
  if (!Array.isArray(resolved.triggers) || resolved.triggers.length === 0) bad('triggers', 'at least one trigger is needed');
  if (!(Number.isInteger(resolved.bootstrapResamples) && resolved.bootstrapResamples >= 0)) bad('bootstrapResamples', `must be an integer >= 0, got ${JSON.stringify(resolved.bootstrapResamples)}`);
  if (!Number.isSafeInteger(resolved.bootstrapSeed)) bad('bootstrapSeed', `must be an integer, got ${JSON.stringify(resolved.bootstrapSeed)}`);
  if (!(Number.isInteger(resolved.exampleIndex) && resolved.exampleIndex >= 0)) bad('exampleIndex', `must be an integer >= 0, got ${JSON.stringify(resolved.exampleIndex)}`);
  const triggers: PreparedTrigger[] = [];
  const kindCounts = new Map<string, number>();
  for (const [i, t] of resolved.triggers.entries()) {
    const path = `triggers[${i}]`;
    if (typeof t?.spec !== 'string') bad(`${path}.spec`, 'must be a trigger spec string');
    const trigger = await loadTrigger(t.spec, { baseDir: options.baseDir, where: `${where}.${path}.spec` });
    const seen = (kindCounts.get(trigger.spec.kind) ?? 0) + 1;
    kindCounts.set(trigger.spec.kind, seen);
    const id = t.id ?? (seen === 1 ? trigger.spec.kind : `${trigger.spec.kind}-${seen}`);
    if (typeof id !== 'string' || !/^[A-Za-z0-9._-]+$/.test(id)) bad(`${path}.id`, `must be letters, digits, '.', '_' or '-', got ${JSON.stringify(id)}`);
    if (triggers.some((p) => p.entry.id === id)) bad(`${path}.id`, `"${id}" is used by another trigger; give each an id`);
    const targetClass = resolveClass(t.targetClass ?? null, options.classNames, `${where}.${path}.targetClass`);
    triggers.push({ entry: { id, spec: t.spec, kind: trigger.spec.kind, targetClass, example: null }, trigger });
  }
  return { params: resolved, triggers };
}

/**
 * A class given as an index or a name, as an index into `classNames`; null stays null.
 * @throws AuditError naming `where` for an unknown name or an index out of range.
 */
export function resolveClass(value: number | string | null, classNames: readonly string[], where: string): number | null {
  if (value === null) return null;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value < classNames.length) return value;
    throw new AuditError(`class index ${value} is outside 0..${classNames.length - 1}`, { file: where, code: 'BAD_CONFIG' });
  }
  const byName = classNames.indexOf(value);
  if (byName >= 0) return byName;
  if (/^\d+$/.test(value) && Number(value) < classNames.length) return Number(value);
  throw new AuditError(`"${value}" is not one of the classes ${classNames.join(', ')}`, { file: where, code: 'BAD_CONFIG' });
}
