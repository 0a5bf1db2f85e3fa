/* eslint-disable @typescript-eslint/no-namespace -- one namespace per message, the vscode-eslint protocol pattern */
/**
 * The JSON-RPC protocol between the extension (client) and the backend process (server), over the backend's
 * stdio. Each message is a namespace with its method string and typed `RequestType` / `NotificationType`,
 * imported by both sides (the vscode-eslint pattern). How to add a message: ARCHITECTURE.md.
 *
 * Lifecycle: the client sends `Initialize` first (with its pid, so the server exits when the editor is gone),
 * then any requests; `Shutdown` then the `Exit` notification stop it. Long work (an audit, a single probe) is a
 * job: the request returns a `jobId` at once, `Progress`/`TrainingCurve`/`Log` notifications follow, and
 * `JobFinished` ends it. `CancelJob` stops a job between batches; the run folder stays resumable.
 */

import { NotificationType, NotificationType0, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { AuditResults, TrainingEpoch } from './results';
import type { RunStatus, RunSummary } from './runStatus';

export const PROTOCOL_VERSION = 1;

export type ComputeBackendChoice = 'auto' | 'wasm' | 'tensorflow' | 'cpu' | 'native';
export const COMPUTE_BACKEND_CHOICES: readonly ComputeBackendChoice[] = ['auto', 'wasm', 'tensorflow', 'cpu', 'native'];

/** Error codes of `ResponseError`s the server sends (besides JSON-RPC's own). */
export const BackendErrorCodes = {
  /** Bad input (config, checkpoint, data): `data` is `{ file: string | null, code: string }`. */
  auditError: -32001,
  /** No such job / run. */
  notFound: -32002,
  /** The request arrived before `Initialize`. */
  notInitialized: -32003,
} as const;

export interface ComputeBackendInfo {
  name: string;
  threads: number;
  simd: boolean;
  detail: string;
}

export namespace Initialize {
  export const method = 'biasAudit/initialize';
  export interface Params {
    /** The editor's process id: the server exits when it is gone. */
    parentPid: number;
    clientVersion: string;
    /** Compute backend to initialise for jobs that do not ask for one. */
    computeBackend: ComputeBackendChoice;
    threads: number | null;
  }
  export interface Result {
    protocolVersion: number;
    serverVersion: string;
    pid: number;
    nodeVersion: string;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

export namespace Shutdown {
  export const method = 'biasAudit/shutdown';
  export const type = new RequestType0<void, void>(method);
}

export namespace Exit {
  export const method = 'biasAudit/exit';
  export const type = new NotificationType0(method);
}

export namespace StartAudit {
  export const method = 'biasAudit/startAudit';
  export interface Params {
    /** Absolute path of the `*.biasaudit.json` config. */
    configPath: string;
    /** Overrides the config's output folder when set. */
    outDir: string | null;
    computeBackend: ComputeBackendChoice | null;
  }
  export interface Result {
    jobId: string;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

export type ProbeKind = 'asr' | 'stimuli';

export namespace RunProbe {
  export const method = 'biasAudit/runProbe';
  export interface Params {
    probe: ProbeKind;
    /** model.json (or a .pt/.pth/.safetensors/.onnx checkpoint), absolute. */
    modelPath: string;
    /** Data SPEC (asr). */
    dataSpec: string | null;
    /** e.g. `square:size=0.15,color=#ffff00,position=top-left` (asr). */
    trigger: string | null;
    targetClass: number | null;
    /** Where a probe writes files (stimuli). */
    outDir: string | null;
    /** The probe's parameters (stimuli: those of `probes.strongStimuli`; asr: `bootstrapResamples`, `bootstrapSeed`); absent or null: defaults. */
    params?: Record<string, unknown> | null;
    computeBackend: ComputeBackendChoice | null;
  }
  export interface Result {
    jobId: string;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

export namespace CancelJob {
  export const method = 'biasAudit/cancelJob';
  export interface Params {
    jobId: string;
  }
  export interface Result {
    /** False when the job had already finished. */
    cancelled: boolean;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

export namespace ListRuns {
  export const method = 'biasAudit/listRuns';
  export interface Params {
    /** A folder whose sub-folders are run folders. */
    folder: string;
  }
  export const type = new RequestType<Params, RunSummary[], void>(method);
}

export namespace GetResults {
  export const method = 'biasAudit/getResults';
  export interface Params {
    runDir: string;
  }
  export interface Result {
    results: AuditResults;
    status: RunStatus | null;
  }
  export const type = new RequestType<Params, Result, void>(method);
}

export interface JobSummary {
  jobId: string;
  kind: 'audit' | 'probe';
  label: string;
  state: 'queued' | 'running';
}

export interface BackendStatus {
  busy: boolean;
  /** null until the first job initialised it. */
  computeBackend: ComputeBackendInfo | null;
  jobs: JobSummary[];
  pid: number;
  /** Whether audits run with the real audit (false only under the BIAS_AUDIT_FAKE_AUDIT test double). */
  realAudit: boolean;
}

export namespace GetStatus {
  export const method = 'biasAudit/status';
  export const type = new RequestType0<BackendStatus, void>(method);
}

/** Sent whenever `BackendStatus` changes (busy/idle, compute backend initialised). */
export namespace StatusChanged {
  export const method = 'biasAudit/statusChanged';
  export const type = new NotificationType<BackendStatus>(method);
}

export interface ProgressUpdate {
  jobId: string;
  /** Known once the audit created its run folder. */
  runDir: string | null;
  stepIndex: number;
  stepsTotal: number;
  stepLabel: string;
  /** What the step does now, e.g. `training`, `probing`, `reused`. */
  phase: string;
  epoch: number | null;
  epochs: number | null;
  batch: number | null;
  batches: number | null;
  loss: number | null;
  accuracy: number | null;
  imagesPerSecond: number | null;
  etaSeconds: number | null;
}

export namespace Progress {
  export const method = 'biasAudit/progress';
  export const type = new NotificationType<ProgressUpdate>(method);
}

/** One finished epoch of one model: drives the live training curves. */
export interface TrainingCurvePoint {
  jobId: string;
  modelId: string;
  modelLabel: string;
  point: TrainingEpoch;
}

export namespace TrainingCurve {
  export const method = 'biasAudit/trainingCurve';
  export const type = new NotificationType<TrainingCurvePoint>(method);
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export namespace Log {
  export const method = 'biasAudit/log';
  export interface Params {
    level: LogLevel;
    message: string;
    jobId: string | null;
  }
  export const type = new NotificationType<Params>(method);
}

export interface JobOutcome {
  jobId: string;
  kind: 'audit' | 'probe';
  state: 'done' | 'cancelled' | 'failed';
  runDir: string | null;
  /** For failures: the message, naming the file and the problem for bad input. */
  error: { message: string; code: string; file: string | null } | null;
  /** A single probe's JSON result (the same object `bias-audit probe --json` prints). */
  probeResult: unknown;
}

export namespace JobFinished {
  export const method = 'biasAudit/jobFinished';
  export const type = new NotificationType<JobOutcome>(method);
}

/** The server is about to exit on its own (uncaught error, parent gone): the client logs why and decides on a restart. */
export namespace Exiting {
  export const method = 'biasAudit/exiting';
  export interface Params {
    code: number;
    reason: string;
  }
  export const type = new NotificationType<Params>(method);
}
