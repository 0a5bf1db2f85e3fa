import { hashJson } from '../../engine/util/hash';

/**
 * Versions of each kind of step's computation. Bump one when its code changes what it produces: every step of
 * that kind is then recomputed on the next run, and nothing else is.
 */
export const STEP_CODE_VERSIONS = {
  train: 1,
  stimuli: 1,
  probe: 1,
} as const;

export type StepKind = keyof typeof STEP_CODE_VERSIONS;

/**
 * The content-hash key of a step: sha256 of its kind, a name (what the step is, e.g. `interventions/model`), the
 * code version and every input that decides its result (config section, model and dataset content hashes, other
 * steps' keys). Equal inputs give an equal key in any process, whatever the key order of objects.
 *
 * @example stepKey('train', 'child', { parent: foundationHash, data: trainHash, freezeDepth: 2, seed: 0, recipe })
 */
export function stepKey(kind: StepKind, name: string, inputs: unknown, toolVersion = '1'): string {
  return hashJson({ format: 'bias-audit-step/1', kind, name, code: STEP_CODE_VERSIONS[kind], tool: toolVersion, inputs });
}
