/** The backend as a real child process over stdio, with the BIAS_AUDIT_FAKE_AUDIT double (no tensors). */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMessageConnection, ResponseError, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { BackendErrorCodes, CancelJob, GetResults, GetStatus, Initialize, JobFinished, ListRuns, Progress, StartAudit, type JobOutcome, type ProgressUpdate } from '../../../src/protocol/backendProtocol';
import type { RunStatus } from '../../../src/protocol/runStatus';

const MAIN = join(__dirname, '../../../src/backend/main.js');
const FIXTURE = join(__dirname, '../../../../test/fixtures/results/run-fixture');

interface Backend {
  child: ChildProcess;
  connection: MessageConnection;
  stdout: string[];
  progress: ProgressUpdate[];
  /** vscode-jsonrpc keeps one handler per method, so extra listeners go through this. */
  onProgress: (listener: (p: ProgressUpdate) => void) => void;
  finished: (jobId: string) => Promise<JobOutcome>;
  exited: Promise<number | null>;
}

function startBackend(batchMs: number): Backend {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, BIAS_AUDIT_FAKE_AUDIT: '1', BIAS_AUDIT_FAKE_FIXTURE: FIXTURE, BIAS_AUDIT_FAKE_BATCH_MS: String(batchMs) }, stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  child.stdout!.on('data', (d: Buffer) => stdout.push(d.toString()));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const progress: ProgressUpdate[] = [];
  const outcomes = new Map<string, (o: JobOutcome) => void>();
  const early = new Map<string, JobOutcome>();
  const listeners: ((p: ProgressUpdate) => void)[] = [];
  connection.onNotification(Progress.type, (p) => {
    progress.push(p);
    for (const l of listeners) l(p);
  });
  connection.onNotification(JobFinished.type, (o) => (outcomes.get(o.jobId) ?? ((x: JobOutcome) => early.set(x.jobId, x)))(o));
  connection.listen();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    connection,
    stdout,
    progress,
    onProgress: (listener) => listeners.push(listener),
    exited,
    finished: (jobId) => (early.has(jobId) ? Promise.resolve(early.get(jobId)!) : new Promise((resolve) => outcomes.set(jobId, resolve))),
  };
}

const init = (b: Backend) => b.connection.sendRequest(Initialize.type, { parentPid: process.pid, clientVersion: 'test', computeBackend: 'auto', threads: null });

describe('backend process (JSON-RPC over stdio)', function () {
  this.timeout(60000);
  let dir: string;
  let backend: Backend | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'backend-test-'));
  });

  afterEach(async () => {
    if (backend && backend.child.exitCode === null) {
      backend.child.stdin!.end();
      await backend.exited;
    }
    backend = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps console output off stdout', () => {
    const script = `require(${JSON.stringify(join(__dirname, '../../../src/backend/consoleToStderr.js'))}); console.log('hello'); console.info('info'); console.warn('warn');`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, 'hello\ninfo\nwarn\n');
  });

  it('refuses requests before Initialize', async () => {
    backend = startBackend(5);
    await assert.rejects(backend.connection.sendRequest(GetStatus.type), (e: unknown) => e instanceof ResponseError && e.code === BackendErrorCodes.notInitialized);
  });

  it('runs an audit with progress, writes the run folder and serves it through ListRuns and GetResults', async () => {
    backend = startBackend(2);
    const info = await init(backend);
    assert.equal(info.pid, backend.child.pid);
    const config = join(dir, 'a.biasaudit.json');
    writeFileSync(config, '{"foundation": "./model.json"}');
    const { jobId } = await backend.connection.sendRequest(StartAudit.type, { configPath: config, outDir: join(dir, 'runs'), computeBackend: null });
    const outcome = await backend.finished(jobId);
    assert.equal(outcome.state, 'done', outcome.error?.message);
    assert.equal(outcome.runDir, join(dir, 'runs', 'fake-a'));
    const mine = backend.progress.filter((p) => p.jobId === jobId);
    assert.ok(mine.length > 10);
    assert.ok(mine.every((p, i) => i === 0 || p.stepIndex >= mine[i - 1].stepIndex), 'steps go forward');
    const runs = await backend.connection.sendRequest(ListRuns.type, { folder: join(dir, 'runs') });
    assert.deepEqual(runs.map((r) => [r.runId, r.state, r.hasResults]), [['fake-a', 'done', true]]);
    const { results, status } = await backend.connection.sendRequest(GetResults.type, { runDir: outcome.runDir! });
    assert.equal(results.runId, 'fake-a');
    assert.equal(status?.stepsDone, status?.stepsTotal);
    assert.ok(backend.stdout.join('').split('Content-Length').length > 1, 'stdout carries JSON-RPC');
  });

  it('cancels between batches, leaves the run resumable, and reuses the finished steps', async () => {
    backend = startBackend(15);
    await init(backend);
    const config = join(dir, 'c.biasaudit.json');
    writeFileSync(config, '{}');
    const start = () => backend!.connection.sendRequest(StartAudit.type, { configPath: config, outDir: join(dir, 'runs'), computeBackend: null });
    const { jobId } = await start();
    const secondStep = new Promise<void>((resolve) => backend!.onProgress((p) => p.stepIndex >= 1 && resolve()));
    await secondStep;
    assert.deepEqual(await backend.connection.sendRequest(CancelJob.type, { jobId }), { cancelled: true });
    const outcome = await backend.finished(jobId);
    assert.equal(outcome.state, 'cancelled');
    const status = JSON.parse(readFileSync(join(dir, 'runs', 'fake-c', 'status.json'), 'utf8')) as RunStatus;
    assert.equal(status.state, 'cancelled');
    assert.ok(status.stepsDone >= 1 && status.stepsDone < status.stepsTotal);
    const again = await start();
    assert.equal((await backend.finished(again.jobId)).state, 'done');
    assert.equal(backend.progress.filter((p) => p.jobId === again.jobId && p.phase === 'reused').length, status.stepsDone);
    assert.deepEqual(await backend.connection.sendRequest(CancelJob.type, { jobId }), { cancelled: false });
  });

  it('fails a job on a bad config with the file named, and GetResults on a non-run with an audit error', async () => {
    backend = startBackend(2);
    await init(backend);
    const config = join(dir, 'bad.biasaudit.json');
    writeFileSync(config, '{ not json');
    const { jobId } = await backend.connection.sendRequest(StartAudit.type, { configPath: config, outDir: null, computeBackend: null });
    const outcome = await backend.finished(jobId);
    assert.equal(outcome.state, 'failed');
    assert.equal(outcome.error?.file, config);
    assert.equal(outcome.error?.code, 'BAD_CONFIG');
    await assert.rejects(backend.connection.sendRequest(GetResults.type, { runDir: dir }), (e: unknown) => e instanceof ResponseError && e.code === BackendErrorCodes.auditError && e.message.includes(join(dir, 'results.json')));
  });

  it('exits when the editor closes its stdin', async () => {
    backend = startBackend(2);
    await init(backend);
    backend.child.stdin!.end();
    assert.equal(await backend.exited, 0);
  });
});
