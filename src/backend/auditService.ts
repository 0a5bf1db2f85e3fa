/**
 * What the backend server asks of the audit core. The server owns the protocol, the job queue and cancellation;
 * an `AuditService` does the work. `createRealAuditService` (realAuditService.ts) is the product; the
 * BIAS_AUDIT_FAKE_AUDIT=1 double (fakeAuditService.ts) exists for the backend-process unit tests only (protocol,
 * job queue and cancellation without tensors); the extension's integration tests run the real audit.
 */
import type { ComputeBackendChoice, ComputeBackendInfo, LogLevel, ProbeKind, ProgressUpdate } from '../protocol/backendProtocol';
import type { AuditResults, TrainingEpoch } from '../protocol/results';
import type { RunStatus, RunSummary } from '../protocol/runStatus';

export type AuditProgress = Omit<ProgressUpdate, 'jobId'>;

export interface WorkOptions {
  /** Fires on cancel; the work stops between batches and throws `CancelledError`, leaving the run resumable. */
  signal: AbortSignal;
  onProgress: (progress: AuditProgress) => void;
  /** One finished epoch of one model (live training curves). */
  onEpoch: (modelId: string, modelLabel: string, epoch: TrainingEpoch) => void;
  onLog: (level: LogLevel, message: string) => void;
  computeBackend: ComputeBackendChoice;
  threads: number | null;
}

export interface AuditRunOptions extends WorkOptions {
  /** Overrides the config's output folder. */
  outDir: string | null;
}

export interface ProbeRequest {
  probe: ProbeKind;
  modelPath: string;
  dataSpec: string | null;
  trigger: string | null;
  targetClass: number | null;
  outDir: string | null;
  /** The probe's parameters (stimuli: `probes.strongStimuli`'s; asr: bootstrap settings); null for the defaults. */
  params?: Record<string, unknown> | null;
}

export interface AuditService {
  /** Runs (or resumes) the audit of a config; resolves with the run folder once results.json is written. */
  runAudit(configPath: string, options: AuditRunOptions): Promise<{ runDir: string }>;
  /** Runs one probe on one model; resolves with the JSON the CLI's `--json` prints. */
  runProbe(request: ProbeRequest, options: WorkOptions): Promise<unknown>;
  /** Run folders directly inside `folder`, newest first. */
  listRuns(folder: string): Promise<RunSummary[]>;
  readResults(runDir: string): Promise<{ results: AuditResults; status: RunStatus | null }>;
  /** The compute backend in use (null before the first job) and whether this is the real audit. */
  status(): { computeBackend: ComputeBackendInfo | null; realAudit: boolean };
}
