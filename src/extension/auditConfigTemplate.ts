/**
 * The config the guided "Audit Bias Transfer" flow writes beside a checkpoint. Pure, so it is unit-tested; the
 * field names follow the audit config schema (`*.biasaudit.json`, validated in the editor via jsonValidation).
 */
/** The probes the guided flow can configure without further input; group disparity (needs an attribute) and
 * associations (need concept folders) are added by editing the config, which the JSON Schema validates. */
export type GuidedProbe = 'strongStimuli' | 'interventions';

export const GUIDED_PROBES: { id: GuidedProbe; label: string; detail: string }[] = [
  { id: 'strongStimuli', label: 'Strong stimuli', detail: 'stereotypical images of each foundation class, scored on every child and scratch' },
  { id: 'interventions', label: 'Interventions (attack success rate)', detail: 'a yellow square in the corner: ASR, targeted ASR, prediction skew' },
];

export interface GuidedAnswers {
  /** Data SPEC of the target training data (a folder, or `fashion-mnist:DIR`, ...). */
  targetTrain: string;
  /** Data SPEC of the target test data; null uses the engine's split of the training data. */
  targetTest: string | null;
  freezeDepths: number[];
  seeds: number[];
  probes: GuidedProbe[];
}

/** Parses "0, 1, 2" into distinct non-negative integers; throws with the offending part. */
export function parseIntegerList(text: string, what: string): number[] {
  const parts = text.split(/[\s,]+/).filter((p) => p.length > 0);
  if (parts.length === 0) throw new Error(`${what}: give at least one number`);
  const values = parts.map((p) => {
    if (!/^\d+$/.test(p)) throw new Error(`${what}: "${p}" is not a non-negative integer`);
    return Number(p);
  });
  return [...new Set(values)].sort((a, b) => a - b);
}

/** The config object; paths are relative to the config file, which lies beside the checkpoint. */
export function buildAuditConfig(modelFileName: string, answers: GuidedAnswers): Record<string, unknown> {
  if (answers.freezeDepths.length === 0) throw new Error('choose at least one freeze depth');
  if (answers.seeds.length === 0) throw new Error('choose at least one seed');
  if (answers.probes.length === 0) throw new Error('choose at least one probe');
  const probes: Record<string, unknown> = {};
  for (const probe of answers.probes) {
    if (probe === 'interventions') probes.interventions = { triggers: ['square:size=0.25,color=#ffff00,position=top-left'] };
    else probes[probe] = {};
  }
  return {
    foundation: `./${modelFileName}`,
    target: answers.targetTest === null ? { train: answers.targetTrain } : { train: answers.targetTrain, test: answers.targetTest },
    children: { freezeDepths: answers.freezeDepths, scratch: true, seeds: answers.seeds },
    probes,
  };
}
