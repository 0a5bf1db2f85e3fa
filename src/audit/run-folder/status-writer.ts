import { join } from 'node:path';
import { writeJsonAtomic } from '../../engine/util/atomic';
import { STATUS_FILE } from '../../protocol/runFiles';
import type { HeadlineFigure } from '../../protocol/results';
import { RUN_STATUS_SCHEMA_VERSION, type RunState, type RunStatus, type StepState } from '../../protocol/runStatus';

/**
 * Keeps a run folder's `status.json` (src/protocol/runStatus.ts) current: rewritten atomically at every step change,
 * so the extension's runs tree shows live state without a backend. Writes are serialised (a later state never
 * loses a race to an earlier one).
 */
export class StatusWriter {
  private readonly status: RunStatus;
  private chain: Promise<void> = Promise.resolve();
  private readonly file: string;

  constructor(runDir: string, init: { runId: string; configPath: string; startedAt: string }) {
    this.file = join(runDir, STATUS_FILE);
    const now = new Date().toISOString();
    this.status = {
      schemaVersion: RUN_STATUS_SCHEMA_VERSION, runId: init.runId, state: 'running', startedAt: init.startedAt, updatedAt: now, finishedAt: null,
      configPath: init.configPath, pid: process.pid, stepsDone: 0, stepsTotal: 0, steps: [], error: null, headline: [],
    };
  }

  /** The current state (a copy). */
  snapshot(): RunStatus {
    return structuredClone(this.status);
  }

  setSteps(steps: { id: string; label: string }[]): Promise<void> {
    this.status.steps = steps.map((s) => ({ id: s.id, label: s.label, state: 'pending', seconds: null }));
    this.status.stepsTotal = steps.length;
    this.status.stepsDone = 0;
    return this.save();
  }

  setStep(id: string, state: StepState, seconds: number | null = null): Promise<void> {
    const step = this.status.steps.find((s) => s.id === id);
    if (step === undefined) throw new Error(`status: unknown step ${id}`);
    step.state = state;
    if (seconds !== null) step.seconds = seconds;
    this.status.stepsDone = this.status.steps.filter((s) => s.state === 'done' || s.state === 'reused').length;
    return this.save();
  }

  setHeadline(headline: HeadlineFigure[]): Promise<void> {
    this.status.headline = headline;
    return this.save();
  }

  /** Ends the run: running steps become `cancelled`/`failed` accordingly, pid is cleared. */
  finish(state: Exclude<RunState, 'running'>, error: RunStatus['error'] = null): Promise<void> {
    for (const step of this.status.steps) if (step.state === 'running') step.state = state === 'cancelled' ? 'cancelled' : 'failed';
    this.status.state = state;
    this.status.error = error;
    this.status.pid = null;
    this.status.finishedAt = new Date().toISOString();
    return this.save();
  }

  private save(): Promise<void> {
    this.status.updatedAt = new Date().toISOString();
    const snapshot = structuredClone(this.status);
    this.chain = this.chain.then(() => writeJsonAtomic(this.file, snapshot));
    return this.chain;
  }
}
