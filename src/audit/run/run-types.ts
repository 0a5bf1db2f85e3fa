import type { BackendChoice } from '../../engine/backend/select';
import type { LogLevel, ProgressUpdate } from '../../protocol/backendProtocol';
import type { AuditResults, TrainingEpoch } from '../../protocol/results';
import type { ResolvedAuditConfig } from '../config/resolved-config';

/** A progress event of the run (the backend adds its job id and forwards it as `biasAudit/progress`). */
export type AuditProgress = Omit<ProgressUpdate, 'jobId'>;

/** Options of `runAudit`; every field is optional. Compatible with the backend's `AuditRunOptions`. */
export interface RunAuditOptions {
  /** Folder the run folder is created in; overrides the config's `output`. `out` is the same. */
  outDir?: string | null;
  out?: string | null;
  /** Compute backend when none is initialised yet (default: the config's `compute.backend`, else auto). `backend` is the same. */
  computeBackend?: BackendChoice | null;
  backend?: BackendChoice | null;
  threads?: number | null;
  /** Cancels between batches; the run folder stays resumable. */
  signal?: AbortSignal;
  onProgress?: (progress: AuditProgress) => void;
  /** One finished epoch of one model: live training curves. */
  onEpoch?: (modelId: string, modelLabel: string, epoch: TrainingEpoch) => void;
  onLog?: (level: LogLevel, message: string) => void;
  /** Adjusts the resolved config before anything runs (the demo's --quick). */
  configure?: (config: ResolvedAuditConfig) => ResolvedAuditConfig;
}

/** How one step went, for the benchmark's split by step. */
export interface StepTiming {
  key: string;
  kind: 'pretrain' | 'train' | 'setup' | 'probe';
  label: string;
  /** The probe, for setup and probe steps. */
  probe: string | null;
  seconds: number;
  reused: boolean;
}

export interface RunAuditOutcome {
  runDir: string;
  results: AuditResults;
  /** report.html, absolute. */
  reportPath: string;
  stepsComputed: number;
  stepsReused: number;
  timings: StepTiming[];
  /** Seconds spent outside steps: checking inputs, aggregating, writing the report. */
  overheadSeconds: { prepare: number; finish: number };
  wallSeconds: number;
}
