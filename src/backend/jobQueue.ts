/**
 * Runs jobs one at a time (tensor work shares one compute backend), in arrival order. Each job owns an
 * AbortController; `cancel` aborts a running job (it stops between batches) or drops a queued one.
 */
import type { JobSummary } from '../protocol/backendProtocol';

export interface QueuedJob {
  jobId: string;
  kind: JobSummary['kind'];
  label: string;
  /** Does the work; must resolve (not reject) once the signal fired and the work stopped. */
  run: (signal: AbortSignal) => Promise<void>;
  /** Called instead of `run` when the job is cancelled before it started. */
  dropped: () => void;
}

interface Entry extends QueuedJob {
  state: JobSummary['state'];
  controller: AbortController;
}

export class JobQueue {
  private readonly entries: Entry[] = [];
  private draining = false;
  private nextId = 1;

  constructor(private readonly onChange: () => void) {}

  newJobId(): string {
    return `job-${process.pid}-${this.nextId++}`;
  }

  get busy(): boolean {
    return this.entries.length > 0;
  }

  jobs(): JobSummary[] {
    return this.entries.map(({ jobId, kind, label, state }) => ({ jobId, kind, label, state }));
  }

  enqueue(job: QueuedJob): void {
    this.entries.push({ ...job, state: 'queued', controller: new AbortController() });
    this.onChange();
    void this.drain();
  }

  /** False when no such job is queued or running (it finished already). */
  cancel(jobId: string): boolean {
    const index = this.entries.findIndex((e) => e.jobId === jobId);
    if (index < 0) return false;
    const entry = this.entries[index];
    if (entry.state === 'queued') {
      this.entries.splice(index, 1);
      entry.dropped();
      this.onChange();
    } else {
      entry.controller.abort();
    }
    return true;
  }

  cancelAll(): void {
    for (const entry of [...this.entries]) this.cancel(entry.jobId);
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.entries.length > 0) {
        const entry = this.entries[0];
        entry.state = 'running';
        this.onChange();
        await entry.run(entry.controller.signal);
        this.entries.shift();
        this.onChange();
      }
    } finally {
      this.draining = false;
    }
  }
}
