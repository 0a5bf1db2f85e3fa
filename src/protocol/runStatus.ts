/**
 * `status.json` in every run folder: written atomically by the audit run at each step change, read by the runs
 * tree (which must work without a backend, e.g. in an untrusted workspace). Documented in docs/results-schema.md.
 */

import type { HeadlineFigure } from './results';

export const RUN_STATUS_SCHEMA_VERSION = 1;

export type RunState = 'running' | 'cancelled' | 'failed' | 'done';
export type StepState = 'pending' | 'running' | 'done' | 'reused' | 'failed' | 'cancelled';

export interface RunStep {
  /** Content-hash key of the step (stable across resumes). */
  id: string;
  /** e.g. `train child K=2 seed 1`, `strong stimuli on scratch-s0`. */
  label: string;
  state: StepState;
  /** Seconds the step took; null until finished. */
  seconds: number | null;
}

export interface RunStatus {
  schemaVersion: typeof RUN_STATUS_SCHEMA_VERSION;
  runId: string;
  state: RunState;
  /** ISO 8601. */
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** The config file, absolute. */
  configPath: string;
  /** Process writing this run while `running`; lets a reader tell a crashed run (process gone) from a live one. */
  pid: number | null;
  stepsDone: number;
  stepsTotal: number;
  steps: RunStep[];
  error: { message: string; code: string; file: string | null } | null;
  /** Filled as soon as figures exist (partial while running). */
  headline: HeadlineFigure[];
}

/** One run as the runs tree and `ListRuns` show it. */
export interface RunSummary {
  runDir: string;
  runId: string;
  state: RunState | 'unknown';
  /** The config the run came from (absolute), when known. */
  configPath: string | null;
  startedAt: string | null;
  stepsDone: number;
  stepsTotal: number;
  headline: HeadlineFigure[];
  hasResults: boolean;
  /** Why the folder could not be read fully (bad status.json), else null. */
  problem: string | null;
}
