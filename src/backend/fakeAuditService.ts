/**
 * TEST DOUBLE, never used by default: with BIAS_AUDIT_FAKE_AUDIT=1 the backend runs this instead of the real audit,
 * so the backend-process unit tests (test/unit/backend-process) can drive a whole run (progress, cancel, resume) in
 * milliseconds without tensors. The extension's integration tests use the real audit.
 * It walks a fixed list of steps batch by batch (BIAS_AUDIT_FAKE_BATCH_MS apart), keeps status.json like the real
 * run does, resumes finished steps, and finally copies the fixture run (BIAS_AUDIT_FAKE_FIXTURE) as its results.
 * `BackendStatus.realAudit` is false while it is active, and the extension says so in its log.
 */
import { cp, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { writeJsonAtomic } from '../engine/util/atomic';
import { AuditError, CancelledError, throwIfCancelled } from '../engine/util/errors';
import { parseRunStatus, RESULTS_FILE, STATUS_FILE } from '../protocol/runFiles';
import type { AuditResults } from '../protocol/results';
import { RUN_STATUS_SCHEMA_VERSION, type RunStatus, type RunStep } from '../protocol/runStatus';
import type { AuditService } from './auditService';
import { listRunFolders, readRunFolder } from './runFolders';

const MODELS = ['child-k0-s0', 'child-k2-s0', 'child-k4-s0', 'scratch-s0'];
const EPOCHS = 3;
const BATCHES = 4;

function waitBetweenBatches(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolveWait) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolveWait();
    }
  });
}

async function readPreviousStatus(file: string): Promise<RunStatus | null> {
  try {
    return parseRunStatus(await readFile(file, 'utf8'), file);
  } catch {
    return null;
  }
}

export function createFakeAuditService(fixtureDir: string, batchMs: number): AuditService {
  return {
    async runAudit(configPath, options) {
      let config: unknown;
      try {
        config = JSON.parse(await readFile(configPath, 'utf8'));
      } catch (e) {
        throw new AuditError(`cannot read the audit config (${(e as Error).message})`, { file: configPath, code: 'BAD_CONFIG' });
      }
      if (typeof config !== 'object' || config === null) throw new AuditError('the audit config must be a JSON object', { file: configPath, code: 'BAD_CONFIG' });
      const outRoot = options.outDir ?? join(dirname(configPath), 'runs');
      const runId = `fake-${basename(configPath).replace(/\.biasaudit\.json$|\.json$/, '')}`;
      const runDir = resolve(outRoot, runId);
      const statusFile = join(runDir, STATUS_FILE);
      const previous = await readPreviousStatus(statusFile);
      const stepLabels = [...MODELS.map((m) => `train ${m}`), 'strong stimuli', 'interventions'];
      const steps: RunStep[] = stepLabels.map((label, i) => ({
        id: `fake-step-${i}`,
        label,
        state: previous?.steps[i]?.state === 'done' || previous?.steps[i]?.state === 'reused' ? 'reused' : 'pending',
        seconds: null,
      }));
      const now = () => new Date().toISOString();
      const status: RunStatus = {
        schemaVersion: RUN_STATUS_SCHEMA_VERSION, runId, state: 'running', startedAt: now(), updatedAt: now(), finishedAt: null,
        configPath, pid: process.pid, stepsDone: steps.filter((s) => s.state === 'reused').length, stepsTotal: steps.length, steps, error: null, headline: [],
      };
      const save = () => writeJsonAtomic(statusFile, { ...status, updatedAt: now() });
      await save();
      options.onLog('warn', 'BIAS_AUDIT_FAKE_AUDIT=1: running the test double, not the real audit');
      try {
        for (const [index, step] of steps.entries()) {
          const base = { runDir, stepIndex: index, stepsTotal: steps.length, stepLabel: step.label, epoch: null, epochs: null, batch: null, batches: null, loss: null, accuracy: null, imagesPerSecond: null, etaSeconds: null };
          if (step.state === 'reused') {
            options.onProgress({ ...base, phase: 'reused' });
            continue;
          }
          step.state = 'running';
          await save();
          const started = Date.now();
          const training = index < MODELS.length;
          for (let epoch = 1; epoch <= (training ? EPOCHS : 1); epoch++) {
            for (let batch = 1; batch <= BATCHES; batch++) {
              throwIfCancelled(options.signal);
              await waitBetweenBatches(batchMs, options.signal);
              throwIfCancelled(options.signal);
              const loss = 2 / (epoch + batch / BATCHES);
              const remainingBatches = (steps.length - index - 1) * BATCHES * EPOCHS + (EPOCHS - epoch) * BATCHES + (BATCHES - batch);
              options.onProgress({
                ...base, phase: training ? 'training' : 'probing', epoch: training ? epoch : null, epochs: training ? EPOCHS : null, batch, batches: BATCHES,
                loss: training ? loss : null, accuracy: training ? 1 - loss / 3 : null, imagesPerSecond: 32000 / batchMs, etaSeconds: (remainingBatches * batchMs) / 1000,
              });
            }
            if (training) options.onEpoch(MODELS[index], MODELS[index], { epoch, loss: 2 / (epoch + 1), accuracy: 1 - 2 / (3 * (epoch + 1)), valLoss: 2.2 / (epoch + 1), valAccuracy: 0.95 - 2 / (3 * (epoch + 1)), imagesPerSecond: 32000 / batchMs });
          }
          step.state = 'done';
          step.seconds = (Date.now() - started) / 1000;
          status.stepsDone++;
          await save();
        }
        await cp(fixtureDir, runDir, { recursive: true, filter: (src) => basename(src) !== STATUS_FILE && basename(src) !== RESULTS_FILE });
        const results = JSON.parse(await readFile(join(fixtureDir, RESULTS_FILE), 'utf8')) as AuditResults;
        await writeJsonAtomic(join(runDir, RESULTS_FILE), { ...results, runId, configPath, startedAt: status.startedAt, finishedAt: now() });
        Object.assign(status, { state: 'done', finishedAt: now(), pid: null, headline: results.headline });
        await save();
        return { runDir };
      } catch (e) {
        const cancelled = e instanceof CancelledError;
        for (const step of steps) if (step.state === 'running') step.state = cancelled ? 'cancelled' : 'failed';
        Object.assign(status, { state: cancelled ? 'cancelled' : 'failed', pid: null, error: cancelled ? null : { message: (e as Error).message, code: 'INTERNAL', file: null } });
        await save();
        throw e;
      }
    },
    async runProbe(request, options) {
      throwIfCancelled(options.signal);
      throw new AuditError('BIAS_AUDIT_FAKE_AUDIT=1 runs audits only; single probes need the real audit', { file: request.modelPath, code: 'NOT_AVAILABLE' });
    },
    listRuns: listRunFolders,
    readResults: readRunFolder,
    status: () => ({ computeBackend: { name: 'fake', threads: 1, simd: false, detail: 'BIAS_AUDIT_FAKE_AUDIT=1 test double (no tensors)' }, realAudit: false }),
  };
}
