import * as assert from 'node:assert/strict';
import { JobQueue } from '../../../src/backend/jobQueue';

/** A job that runs until its signal fires or `release` is called, recording what happened. */
function controllableJob(queue: JobQueue, log: string[], name: string) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const startedP = new Promise<void>((r) => (started = r));
  let finished!: () => void;
  const finishedP = new Promise<void>((r) => (finished = r));
  const jobId = queue.newJobId();
  queue.enqueue({
    jobId,
    kind: 'audit',
    label: name,
    dropped: () => {
      log.push(`${name} dropped`);
      finished();
    },
    run: async (signal) => {
      log.push(`${name} started`);
      started();
      await Promise.race([released, new Promise((r) => signal.addEventListener('abort', r))]);
      log.push(`${name} ${signal.aborted ? 'aborted' : 'done'}`);
      finished();
    },
  });
  return { jobId, release, started: startedP, finished: finishedP };
}

describe('backend/JobQueue', () => {
  it('runs jobs one at a time in arrival order', async () => {
    const log: string[] = [];
    const queue = new JobQueue(() => undefined);
    const a = controllableJob(queue, log, 'a');
    const b = controllableJob(queue, log, 'b');
    await a.started;
    assert.deepEqual(queue.jobs().map((j) => j.state), ['running', 'queued']);
    a.release();
    await b.started;
    b.release();
    await b.finished;
    assert.deepEqual(log, ['a started', 'a done', 'b started', 'b done']);
  });

  it('aborts a running job and drops a queued one', async () => {
    const log: string[] = [];
    const queue = new JobQueue(() => undefined);
    const a = controllableJob(queue, log, 'a');
    const b = controllableJob(queue, log, 'b');
    await a.started;
    assert.equal(queue.cancel(b.jobId), true);
    assert.equal(queue.cancel(a.jobId), true);
    await a.finished;
    await b.finished;
    assert.deepEqual(log, ['a started', 'b dropped', 'a aborted']);
    assert.equal(queue.cancel('job-unknown'), false);
  });
});
