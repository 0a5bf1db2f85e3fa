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
  /**
   * Scripted use and tests only (the quick picks leave it unset, so the audit's defaults apply): a training recipe
   * (`children.recipe`) and probe parameters merged over the guided ones, e.g. a one-epoch recipe for a smoke run.
   */
  overrides?: { recipe?: Record<string, unknown>; probes?: Partial<Record<GuidedProbe, Record<string, unknown>>> };
}

/** Checkpoint files "Audit Bias Transfer" is offered on (the explorer menu's `when` clause says the same). */
export const FOREIGN_CHECKPOINT_EXTENSIONS = ['.pt', '.pth', '.safetensors', '.onnx'] as const;

export function isAuditableCheckpoint(fileName: string): boolean {
  const lower = fileName.toLowerCase();
  return lower === 'model.json' || FOREIGN_CHECKPOINT_EXTENSIONS.some((ext) => lower.endsWith(ext) && lower.length > ext.length);
}

/**
 * The config the guided flow writes beside a checkpoint: `<folder>.biasaudit.json` for a model.json (its folder names
 * the model), `<file stem>.biasaudit.json` for a .pt/.pth/.safetensors/.onnx file (a folder may hold several).
 */
export function guidedConfigFileName(modelFileName: string, folderName: string): string {
  const stem = modelFileName.toLowerCase() === 'model.json' ? folderName : modelFileName.replace(/\.[^.]+$/, '');
  const safe = stem.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return `${safe || 'model'}.biasaudit.json`;
}

/** Debian's dataset-fashion-mnist package as the data SPECs the engine reads (IDX pairs): a guided-flow target. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_TARGET = {
  train: `idx:${FASHION_MNIST_DIR}/train-images-idx3-ubyte.gz,${FASHION_MNIST_DIR}/train-labels-idx1-ubyte.gz`,
  test: `idx:${FASHION_MNIST_DIR}/t10k-images-idx3-ubyte.gz,${FASHION_MNIST_DIR}/t10k-labels-idx1-ubyte.gz`,
};

/** The guided interventions probe's trigger (and the single-probe command's proposal). */
export const DEFAULT_TRIGGER = 'square:size=0.25,color=#ffff00,position=top-left';

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
    const base = probe === 'interventions' ? { triggers: [DEFAULT_TRIGGER] } : {};
    probes[probe] = { ...base, ...(answers.overrides?.probes?.[probe] ?? {}) };
  }
  const recipe = answers.overrides?.recipe;
  return {
    foundation: `./${modelFileName}`,
    target: answers.targetTest === null ? { train: answers.targetTrain } : { train: answers.targetTrain, test: answers.targetTest },
    children: { freezeDepths: answers.freezeDepths, scratch: true, seeds: answers.seeds, ...(recipe ? { recipe } : {}) },
    probes,
  };
}
