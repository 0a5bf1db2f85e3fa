/**
 * The backend's JSON-RPC server: protocol handlers over an `AuditService`, jobs through a `JobQueue`, progress
 * and logs as notifications. Transport-agnostic (main.ts connects it to stdio; tests to in-memory streams).
 */
import { ResponseError, type MessageConnection } from 'vscode-jsonrpc';
import { AuditError, CancelledError, errorMessage } from '../engine/util/errors';
import {
  BackendErrorCodes,
  CancelJob,
  Exit,
  GetResults,
  GetStatus,
  Initialize,
  JobFinished,
  ListRuns,
  Log,
  Progress,
  PROTOCOL_VERSION,
  RunProbe,
  Shutdown,
  StartAudit,
  StatusChanged,
  TrainingCurve,
  type BackendStatus,
  type ComputeBackendChoice,
  type JobOutcome,
  type LogLevel,
} from '../protocol/backendProtocol';
import type { AuditService, WorkOptions } from './auditService';
import { JobQueue } from './jobQueue';

export interface BackendServerOptions {
  serverVersion: string;
  /** Called once with the client's Initialize params (main.ts watches the parent pid). */
  onInitialize: (params: Initialize.Params) => void;
  /** Called on the Exit notification: code 0 after Shutdown, 1 without (as LSP does). */
  onExit: (code: number) => void;
}

export interface BackendServer {
  queue: JobQueue;
  status(): BackendStatus;
}

function outcomeError(e: unknown): JobOutcome['error'] {
  if (e instanceof AuditError) return { message: e.message, code: e.code, file: e.file ?? null };
  return { message: errorMessage(e), code: 'INTERNAL', file: null };
}

function toResponseError(e: unknown): ResponseError<{ file: string | null; code: string }> {
  if (e instanceof AuditError) return new ResponseError(BackendErrorCodes.auditError, e.message, { file: e.file ?? null, code: e.code });
  throw e;
}

export function startBackendServer(connection: MessageConnection, service: AuditService, options: BackendServerOptions): BackendServer {
  let initialized: Initialize.Params | null = null;
  let shutdownRequested = false;
  const queue = new JobQueue(() => void connection.sendNotification(StatusChanged.type, status()));

  function status(): BackendStatus {
    const s = service.status();
    return { busy: queue.busy, computeBackend: s.computeBackend, jobs: queue.jobs(), pid: process.pid, realAudit: s.realAudit };
  }

  function requireInitialized(): Initialize.Params {
    if (initialized === null) throw new ResponseError(BackendErrorCodes.notInitialized, 'the client must send Initialize first');
    if (shutdownRequested) throw new ResponseError(BackendErrorCodes.notInitialized, 'the server is shutting down');
    return initialized;
  }

  function log(level: LogLevel, message: string, jobId: string | null): void {
    process.stderr.write(`[${level}]${jobId ? ` ${jobId}` : ''} ${message}\n`);
    void connection.sendNotification(Log.type, { level, message, jobId });
  }

  function workOptions(jobId: string, signal: AbortSignal, backend: ComputeBackendChoice | null, init: Initialize.Params, onRunDir: (dir: string) => void): WorkOptions {
    return {
      signal,
      computeBackend: backend ?? init.computeBackend,
      threads: init.threads,
      onProgress: (progress) => {
        if (progress.runDir) onRunDir(progress.runDir);
        void connection.sendNotification(Progress.type, { ...progress, jobId });
      },
      onEpoch: (modelId, modelLabel, point) => void connection.sendNotification(TrainingCurve.type, { jobId, modelId, modelLabel, point }),
      onLog: (level, message) => log(level, message, jobId),
    };
  }

  function enqueueJob(kind: JobOutcome['kind'], label: string, work: (jobId: string, signal: AbortSignal, onRunDir: (dir: string) => void) => Promise<{ runDir: string | null; probeResult: unknown }>): string {
    const jobId = queue.newJobId();
    const finish = (outcome: Omit<JobOutcome, 'jobId' | 'kind'>) => {
      log(outcome.state === 'failed' ? 'error' : 'info', `${label}: ${outcome.state}${outcome.error ? ` (${outcome.error.message})` : ''}`, jobId);
      void connection.sendNotification(JobFinished.type, { jobId, kind, ...outcome });
    };
    queue.enqueue({
      jobId,
      kind,
      label,
      dropped: () => finish({ state: 'cancelled', runDir: null, error: null, probeResult: null }),
      run: async (signal) => {
        let runDir: string | null = null;
        try {
          const done = await work(jobId, signal, (dir) => (runDir = dir));
          finish({ state: 'done', runDir: done.runDir, error: null, probeResult: done.probeResult });
        } catch (e) {
          if (e instanceof CancelledError || signal.aborted) finish({ state: 'cancelled', runDir, error: null, probeResult: null });
          else finish({ state: 'failed', runDir, error: outcomeError(e), probeResult: null });
        }
      },
    });
    return jobId;
  }

  connection.onRequest(Initialize.type, (params) => {
    initialized = params;
    options.onInitialize(params);
    return { protocolVersion: PROTOCOL_VERSION, serverVersion: options.serverVersion, pid: process.pid, nodeVersion: process.version };
  });

  connection.onRequest(Shutdown.type, () => {
    shutdownRequested = true;
    queue.cancelAll();
  });

  connection.onNotification(Exit.type, () => options.onExit(shutdownRequested ? 0 : 1));

  connection.onRequest(StartAudit.type, (params) => {
    const init = requireInitialized();
    const jobId = enqueueJob('audit', `audit ${params.configPath}`, async (id, signal, onRunDir) => {
      const { runDir } = await service.runAudit(params.configPath, { ...workOptions(id, signal, params.computeBackend, init, onRunDir), outDir: params.outDir });
      return { runDir, probeResult: null };
    });
    return { jobId };
  });

  connection.onRequest(RunProbe.type, (params) => {
    const init = requireInitialized();
    const { computeBackend, ...request } = params;
    const jobId = enqueueJob('probe', `${params.probe} on ${params.modelPath}`, async (id, signal, onRunDir) => {
      const probeResult = await service.runProbe(request, workOptions(id, signal, computeBackend, init, onRunDir));
      return { runDir: params.outDir, probeResult };
    });
    return { jobId };
  });

  connection.onRequest(CancelJob.type, (params) => {
    requireInitialized();
    return { cancelled: queue.cancel(params.jobId) };
  });

  connection.onRequest(ListRuns.type, async (params) => {
    requireInitialized();
    try {
      return await service.listRuns(params.folder);
    } catch (e) {
      throw toResponseError(e);
    }
  });

  connection.onRequest(GetResults.type, async (params) => {
    requireInitialized();
    try {
      return await service.readResults(params.runDir);
    } catch (e) {
      throw toResponseError(e);
    }
  });

  connection.onRequest(GetStatus.type, () => {
    requireInitialized();
    return status();
  });

  return { queue, status };
}
