/**
 * Parsing of a run folder's `results.json` and `status.json`, shared by the backend, the extension (which reads
 * runs itself so results stay viewable without a backend) and tests. Pure: text in, typed value or a
 * `RunFileError` naming the file and the problem out.
 */

import { PROBE_NAMES, RESULTS_SCHEMA_VERSION, type AuditResults } from './results';
import { RUN_STATUS_SCHEMA_VERSION, type RunState, type RunStatus, type RunSummary } from './runStatus';

export const RESULTS_FILE = 'results.json';
export const STATUS_FILE = 'status.json';
export const MANIFEST_FILE = 'manifest.json';

export class RunFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'RunFileError';
  }
}

function parseJson(text: string, file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RunFileError(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RunFileError(file, 'expected a JSON object');
  return value as Record<string, unknown>;
}

function expectField(obj: Record<string, unknown>, key: string, type: 'string' | 'number' | 'object' | 'array', file: string, where: string): void {
  const value = obj[key];
  const ok = type === 'array' ? Array.isArray(value) : type === 'object' ? typeof value === 'object' && value !== null && !Array.isArray(value) : typeof value === type;
  if (!ok) throw new RunFileError(file, `${where}${key} must be ${type === 'array' || type === 'object' ? `an ${type}` : `a ${type}`}`);
}

/** The arrays each probe's panel iterates over. */
const PROBE_ARRAYS = {
  strongStimuli: ['stimuli', 'perModel', 'transferByFreezeDepth'],
  interventions: ['triggers', 'perModel', 'transfer'],
  plantedBias: ['sources', 'rows', 'comparisons', 'expectations'],
  groupDisparity: ['groups', 'interventions', 'perModel', 'biasVersusAccuracy'],
  associations: ['concepts', 'comparisons', 'perModel', 'biasTransferScore'],
} as const;

/** Parses results.json, checking the schema version and the structure the panels rely on. */
export function parseAuditResults(text: string, file: string): AuditResults {
  const obj = parseJson(text, file);
  if (obj.schemaVersion !== RESULTS_SCHEMA_VERSION) {
    throw new RunFileError(file, `schemaVersion ${JSON.stringify(obj.schemaVersion)} is not supported (this version reads ${RESULTS_SCHEMA_VERSION})`);
  }
  for (const key of ['runId', 'startedAt', 'finishedAt', 'configPath'] as const) expectField(obj, key, 'string', file, '');
  for (const key of ['tool', 'computeBackend', 'targetDataset', 'lineage', 'probes', 'files'] as const) expectField(obj, key, 'object', file, '');
  for (const key of ['training', 'headline'] as const) expectField(obj, key, 'array', file, '');
  const lineage = obj.lineage as Record<string, unknown>;
  expectField(lineage, 'foundation', 'object', file, 'lineage.');
  for (const key of ['children', 'scratch', 'blocks', 'freezeDepths', 'seeds'] as const) expectField(lineage, key, 'array', file, 'lineage.');
  const probes = obj.probes as Record<string, unknown>;
  for (const key of Object.keys(probes)) {
    if (!(PROBE_NAMES as readonly string[]).includes(key)) throw new RunFileError(file, `probes.${key} is not a known probe (known: ${PROBE_NAMES.join(', ')})`);
    expectField(probes, key, 'object', file, 'probes.');
    for (const arrayKey of PROBE_ARRAYS[key as keyof typeof PROBE_ARRAYS]) expectField(probes[key] as Record<string, unknown>, arrayKey, 'array', file, `probes.${key}.`);
  }
  return obj as unknown as AuditResults;
}

const RUN_STATES: readonly RunState[] = ['running', 'cancelled', 'failed', 'done'];

export function parseRunStatus(text: string, file: string): RunStatus {
  const obj = parseJson(text, file);
  if (obj.schemaVersion !== RUN_STATUS_SCHEMA_VERSION) {
    throw new RunFileError(file, `schemaVersion ${JSON.stringify(obj.schemaVersion)} is not supported (this version reads ${RUN_STATUS_SCHEMA_VERSION})`);
  }
  if (!RUN_STATES.includes(obj.state as RunState)) throw new RunFileError(file, `state must be one of ${RUN_STATES.join(', ')}`);
  for (const key of ['runId', 'startedAt', 'updatedAt', 'configPath'] as const) expectField(obj, key, 'string', file, '');
  for (const key of ['stepsDone', 'stepsTotal'] as const) expectField(obj, key, 'number', file, '');
  for (const key of ['steps', 'headline'] as const) expectField(obj, key, 'array', file, '');
  return obj as unknown as RunStatus;
}

/** What the runs tree shows for one folder, from whichever of its files exist. Never throws. */
export function summarizeRun(runDir: string, runName: string, statusText: string | null, resultsText: string | null, statusFile: string, resultsFile: string): RunSummary {
  const summary: RunSummary = { runDir, runId: runName, state: 'unknown', configPath: null, startedAt: null, stepsDone: 0, stepsTotal: 0, headline: [], hasResults: resultsText !== null, problem: null };
  try {
    if (statusText !== null) {
      const status = parseRunStatus(statusText, statusFile);
      Object.assign(summary, { runId: status.runId, state: status.state, configPath: status.configPath, startedAt: status.startedAt, stepsDone: status.stepsDone, stepsTotal: status.stepsTotal, headline: status.headline });
    }
    if (resultsText !== null && (statusText === null || summary.headline.length === 0)) {
      const results = parseAuditResults(resultsText, resultsFile);
      summary.runId = results.runId;
      summary.startedAt ??= results.startedAt;
      summary.configPath ??= results.configPath;
      summary.headline = results.headline;
      if (statusText === null) summary.state = 'done';
    }
  } catch (e) {
    summary.problem = e instanceof Error ? e.message : String(e);
  }
  return summary;
}

/** Newest first, runs without a date last. */
export function sortRunsNewestFirst(runs: RunSummary[]): RunSummary[] {
  return [...runs].sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? '') || a.runId.localeCompare(b.runId));
}
