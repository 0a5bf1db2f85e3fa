/**
 * The product's AuditService: the audit run's own entry points (`runAudit` for audits, `runProbe` for single probes),
 * the engine's compute backend, and run folders read from disk.
 */
import { runProbe } from '../audit/probe';
import { runAudit } from '../audit/run';
import { currentBackendInfo, initBackend } from '../engine/backend/select';
import type { ComputeBackendChoice } from '../protocol/backendProtocol';
import type { AuditService, WorkOptions } from './auditService';
import { listRunFolders, readRunFolder } from './runFolders';

export function createRealAuditService(): AuditService {
  let initializedChoice: string | null = null;

  /** The job's compute backend; initialised again only when the user picked another one (Select Compute Backend). */
  async function ensureComputeBackend(choice: ComputeBackendChoice, threads: number | null, log: WorkOptions['onLog']): Promise<void> {
    const key = `${choice}/${threads ?? 'default'}`;
    if (initializedChoice === key) return;
    const report = (line: string): void => log('info', line);
    await initBackend(threads === null ? { backend: choice, log: report } : { backend: choice, threads, log: report });
    initializedChoice = key;
  }

  return {
    async runAudit(configPath, options) {
      await ensureComputeBackend(options.computeBackend, options.threads, options.onLog);
      const { runDir } = await runAudit(configPath, options);
      return { runDir };
    },
    async runProbe(request, options) {
      await ensureComputeBackend(options.computeBackend, options.threads, options.onLog);
      return runProbe(request, options);
    },
    listRuns: listRunFolders,
    readResults: readRunFolder,
    status: () => ({ computeBackend: currentBackendInfo() ?? null, realAudit: true }),
  };
}
