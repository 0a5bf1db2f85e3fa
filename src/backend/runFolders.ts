/** Reading run folders from disk: the part of the audit service that needs no tensors. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditError } from '../engine/util/errors';
import { parseAuditResults, parseRunStatus, RESULTS_FILE, RunFileError, sortRunsNewestFirst, STATUS_FILE, summarizeRun } from '../protocol/runFiles';
import type { AuditResults } from '../protocol/results';
import type { RunStatus, RunSummary } from '../protocol/runStatus';

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Sub-folders of `folder` holding a status.json or results.json, newest first. A missing folder has no runs. */
export async function listRunFolders(folder: string): Promise<RunSummary[]> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AuditError(`cannot list runs (${(e as Error).message})`, { file: folder, cause: e });
  }
  const runs: RunSummary[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const runDir = join(folder, entry.name);
    const statusFile = join(runDir, STATUS_FILE);
    const resultsFile = join(runDir, RESULTS_FILE);
    const [statusText, resultsText] = await Promise.all([readIfExists(statusFile), readIfExists(resultsFile)]);
    if (statusText === null && resultsText === null) continue;
    runs.push(summarizeRun(runDir, entry.name, statusText, resultsText, statusFile, resultsFile));
  }
  return sortRunsNewestFirst(runs);
}

/** results.json (required) and status.json (optional) of one run; bad files raise an AuditError naming them. */
export async function readRunFolder(runDir: string): Promise<{ results: AuditResults; status: RunStatus | null }> {
  const resultsFile = join(runDir, RESULTS_FILE);
  const statusFile = join(runDir, STATUS_FILE);
  const [resultsText, statusText] = await Promise.all([readIfExists(resultsFile), readIfExists(statusFile)]);
  if (resultsText === null) throw new AuditError('no results.json: the run has not finished (or this is not a run folder)', { file: resultsFile, code: 'ENOENT' });
  try {
    return { results: parseAuditResults(resultsText, resultsFile), status: statusText === null ? null : parseRunStatus(statusText, statusFile) };
  } catch (e) {
    if (e instanceof RunFileError) throw new AuditError(e.message.slice(e.file.length + 2), { file: e.file, code: 'BAD_RESULTS', cause: e });
    throw e;
  }
}
