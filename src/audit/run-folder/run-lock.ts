import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditError } from '../../engine/util/errors';
import { parseRunStatus, STATUS_FILE } from '../../protocol/runFiles';

/** Whether a process with this id exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Refuses to start in a run folder another live process is writing (its status says `running` with that pid). A
 * folder left `running` by a killed process is resumable: its pid is gone.
 */
export async function assertNotRunning(runDir: string): Promise<void> {
  const file = join(runDir, STATUS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return;
  }
  let pid: number | null;
  let state: string;
  try {
    ({ pid, state } = parseRunStatus(text, file));
  } catch {
    return;
  }
  if (state === 'running' && pid !== null && pid !== process.pid && processAlive(pid)) {
    throw new AuditError(`another process (pid ${pid}) is running this audit now; wait for it to finish or stop it first`, { file: runDir, code: 'RUN_BUSY' });
  }
}
