/**
 * The product's AuditService: compute backend from the engine, run folders from disk, and the audit run's own
 * entry points for audits and single probes. The audit modules are resolved at load time so that this backend
 * builds while src/audit is still being written; until they exist, starting an audit fails with a clear
 * AuditError saying so (never a fake result).
 */
import { currentBackendInfo, initBackend } from '../engine/backend/select';
import { AuditError } from '../engine/util/errors';
import type { ComputeBackendChoice } from '../protocol/backendProtocol';
import type { AuditRunOptions, AuditService, ProbeRequest, WorkOptions } from './auditService';
import { listRunFolders, readRunFolder } from './runFolders';

/** What the backend expects src/audit/run.ts to export. */
interface AuditRunModule {
  runAudit(configPath: string, options: AuditRunOptions): Promise<{ runDir: string }>;
}

/** What the backend expects src/audit/probe.ts to export. */
interface AuditProbeModule {
  runProbe(request: ProbeRequest, options: WorkOptions): Promise<unknown>;
}

function loadAuditRun(): AuditRunModule | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional until src/audit lands; esbuild bundles it once it resolves
    return require('../audit/run') as AuditRunModule;
  } catch {
    return null;
  }
}

function loadAuditProbe(): AuditProbeModule | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional until src/audit lands; esbuild bundles it once it resolves
    return require('../audit/probe') as AuditProbeModule;
  } catch {
    return null;
  }
}

export function createRealAuditService(): AuditService {
  let initializedChoice: string | null = null;

  async function ensureComputeBackend(choice: ComputeBackendChoice, threads: number | null, log: WorkOptions['onLog']): Promise<void> {
    const key = `${choice}/${threads ?? 'default'}`;
    if (initializedChoice === key) return;
    const info = await initBackend(threads === null ? { backend: choice } : { backend: choice, threads });
    initializedChoice = key;
    log('info', `compute backend: ${info.detail}`);
  }

  return {
    async runAudit(configPath, options) {
      const audit = loadAuditRun();
      if (audit === null || typeof audit.runAudit !== 'function') {
        throw new AuditError('this build has no audit run yet (src/audit/run.ts with runAudit is missing)', { file: configPath, code: 'NOT_AVAILABLE' });
      }
      await ensureComputeBackend(options.computeBackend, options.threads, options.onLog);
      return audit.runAudit(configPath, options);
    },
    async runProbe(request, options) {
      const probes = loadAuditProbe();
      if (probes === null || typeof probes.runProbe !== 'function') {
        throw new AuditError(`this build cannot run single probes yet (src/audit/probe.ts with runProbe is missing)`, { file: request.modelPath, code: 'NOT_AVAILABLE' });
      }
      await ensureComputeBackend(options.computeBackend, options.threads, options.onLog);
      return probes.runProbe(request, options);
    },
    listRuns: listRunFolders,
    readResults: readRunFolder,
    status: () => ({ computeBackend: currentBackendInfo() ?? null, realAudit: true }),
  };
}
