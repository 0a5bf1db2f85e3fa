import { strict as assert } from 'node:assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import { parseRunStatus } from '../../../src/protocol/runFiles';
import type { AuditResults } from '../../../src/protocol/results';
import type { RunStatus } from '../../../src/protocol/runStatus';
import { REPO, sharedTinyFoundation, tempDir, tinyConfig, writeConfig } from './helpers/tiny-audit';
import { useBackend } from '../helpers/tf';

const CLI = join(REPO, 'out', 'src', 'cli', 'main.js');
const BACKEND = process.env.AUDIT_TEST_BACKEND ?? 'wasm';

function readStatus(runDir: string): RunStatus | null {
  try {
    return parseRunStatus(readFileSync(join(runDir, 'status.json'), 'utf8'), 'status.json');
  } catch {
    return null;
  }
}

/**
 * Resolves once `condition` holds for the run folder's status.json, checking at every change of the folder (the
 * status is replaced by a rename). Rejects when the process exits first.
 */
function waitForStatus(child: ChildProcess, runDir: string, condition: (s: RunStatus) => boolean): Promise<RunStatus> {
  return new Promise((resolve, reject) => {
    let watcher: ReturnType<typeof watch> | undefined;
    const done = (error: Error | null, status?: RunStatus): void => {
      watcher?.close();
      clearInterval(timer);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(status as RunStatus);
    };
    const check = (): void => {
      const status = readStatus(runDir);
      if (status && condition(status)) done(null, status);
    };
    const onExit = (code: number | null): void => done(new Error(`the audit exited (code ${code}) before the awaited state`));
    child.on('exit', onExit);
    const arm = (): void => {
      if (watcher || !existsSync(runDir)) return;
      watcher = watch(runDir, check);
      check();
    };
    // The run folder appears once the config is checked; until then (and as a guard against missed events on
    // some file systems) look again on a short interval.
    const timer = setInterval(() => {
      arm();
      check();
    }, 100);
    arm();
  });
}

function runCli(args: string[]): { child: ChildProcess; result: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, result };
}

function comparable(results: AuditResults): unknown {
  return JSON.parse(JSON.stringify(results, (key, value: unknown) => (['startedAt', 'finishedAt', 'wallSeconds', 'reused', 'imagesPerSecond', 'runId'].includes(key) ? undefined : value)));
}

describe('audit resume after a real process kill', function () {
  this.timeout(900_000);

  it('continues where it stopped, reuses finished steps untouched and gives the same results', async () => {
    await useBackend(BACKEND as 'wasm');
    const foundation = await sharedTinyFoundation();
    const dir = await tempDir('resume');
    const config = await writeConfig(dir, 'resume', tinyConfig(foundation, {
      strongStimuli: { steps: 6, batchSize: 3 },
      interventions: { triggers: ['square:size=0.25,color=#ffffff,position=top-left'], bootstrapResamples: 100 },
    }, { children: { freezeDepths: ['full', 'fixed'], seeds: [0, 1], recipe: { epochs: 3, batchSize: 8, validationFraction: 0.2 } } }));
    const killedRoot = join(dir, 'killed');
    const runDir = join(killedRoot, 'resume');

    // 1. Start the audit and kill it (SIGKILL: no chance to clean up) once two steps finished and a training step
    //    has written an epoch checkpoint (so the resume continues a half-trained model, too).
    const first = runCli(['run', config, '--out', killedRoot, '--backend', BACKEND, '--quiet']);
    const epochCheckpoint = (): boolean => existsSync(join(runDir, 'work')) && readdirSync(join(runDir, 'work')).some((d) => existsSync(join(runDir, 'work', d, 'last', 'checkpoint.json')));
    const before = await waitForStatus(first.child, runDir, (s) => s.stepsDone >= 2 && s.steps.some((step) => step.state === 'running' && step.label.startsWith('train')) && epochCheckpoint());
    first.child.kill('SIGKILL');
    const killed = await first.result;
    assert.equal(killed.code, null, 'killed by the signal');
    const afterKill = readStatus(runDir)!;
    assert.equal(afterKill.state, 'running', 'a killed run cannot say it stopped; its pid is gone');
    const finished = afterKill.steps.filter((s) => s.state === 'done');
    assert.ok(finished.length >= 2 && finished.length < afterKill.stepsTotal, `killed mid-way: ${finished.length}/${afterKill.stepsTotal} steps done`);
    assert.ok(before.stepsDone <= finished.length);
    const records = new Map(finished.map((s) => [s.id, statSync(join(runDir, 'steps', `${s.id}.json`)).mtimeMs]));
    const models = new Map(['child-k0-s0', 'child-k0-s1', 'child-k4-s0'].filter((id) => existsSync(join(runDir, 'models', id))).map((id) => [id, statSync(join(runDir, 'models', id, 'weights.bin')).mtimeMs]));

    // 2. Run it again to the end.
    const second = await runCli(['run', config, '--out', killedRoot, '--backend', BACKEND, '--json']).result;
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /resuming from the checkpoint of epoch [1-9]/, 'the interrupted training continued from its epoch checkpoint');
    assert.match(second.stderr, /reused: train child K=0 seed 0/);
    const summary = JSON.parse(second.stdout) as { stepsReused: number; stepsComputed: number };
    assert.ok(summary.stepsReused >= finished.length, `reused ${summary.stepsReused}, finished before the kill ${finished.length}`);
    const status = readStatus(runDir)!;
    assert.equal(status.state, 'done');
    for (const [id, mtime] of records) {
      assert.equal(status.steps.find((s) => s.id === id)?.state, 'reused', `step ${id} was finished before the kill`);
      assert.equal(statSync(join(runDir, 'steps', `${id}.json`)).mtimeMs, mtime, `step ${id} was not recomputed`);
    }
    for (const [id, mtime] of models) assert.equal(statSync(join(runDir, 'models', id, 'weights.bin')).mtimeMs, mtime, `model ${id} was not retrained`);
    assert.equal(existsSync(join(runDir, 'work')), false);

    // 3. The same results as a run that was never interrupted.
    const clean = await runCli(['run', config, '--out', join(dir, 'clean'), '--backend', BACKEND, '--json', '--quiet']).result;
    assert.equal(clean.code, 0, clean.stderr);
    const resumed = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as AuditResults;
    const uninterrupted = JSON.parse(readFileSync(join(dir, 'clean', 'resume', 'results.json'), 'utf8')) as AuditResults;
    assert.deepEqual(comparable(resumed), comparable(uninterrupted));
  });
});
