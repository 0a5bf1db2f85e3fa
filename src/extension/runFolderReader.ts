/**
 * Reads run folders through vscode.workspace.fs (works in remote and untrusted workspaces, needs no backend):
 * results stay viewable even when nothing may run.
 */
import * as vscode from 'vscode';
import { parseAuditResults, parseRunStatus, RESULTS_FILE, sortRunsNewestFirst, STATUS_FILE, summarizeRun } from '../protocol/runFiles';
import type { AuditResults } from '../protocol/results';
import type { RunStatus, RunSummary } from '../protocol/runStatus';

const decoder = new TextDecoder();

async function readText(uri: vscode.Uri): Promise<string | null> {
  try {
    return decoder.decode(await vscode.workspace.fs.readFile(uri));
  } catch (e) {
    if (e instanceof vscode.FileSystemError && e.code === 'FileNotFound') return null;
    throw e;
  }
}

export async function listRuns(folder: vscode.Uri): Promise<RunSummary[]> {
  let entries: [string, vscode.FileType][];
  try {
    entries = await vscode.workspace.fs.readDirectory(folder);
  } catch {
    return [];
  }
  const runs = await Promise.all(
    entries
      .filter(([name, type]) => type === vscode.FileType.Directory && !name.startsWith('.'))
      .map(async ([name]) => {
        const runUri = vscode.Uri.joinPath(folder, name);
        const statusUri = vscode.Uri.joinPath(runUri, STATUS_FILE);
        const resultsUri = vscode.Uri.joinPath(runUri, RESULTS_FILE);
        const [statusText, resultsText] = await Promise.all([readText(statusUri), readText(resultsUri)]);
        if (statusText === null && resultsText === null) return null;
        return summarizeRun(runUri.fsPath, name, statusText, resultsText, statusUri.fsPath, resultsUri.fsPath);
      }),
  );
  return sortRunsNewestFirst(runs.filter((r): r is RunSummary => r !== null));
}

export async function readRunStatus(runDir: vscode.Uri): Promise<RunStatus | null> {
  const uri = vscode.Uri.joinPath(runDir, STATUS_FILE);
  const text = await readText(uri);
  return text === null ? null : parseRunStatus(text, uri.fsPath);
}

/** Throws a RunFileError naming the file when results.json is missing or malformed. */
export async function readRun(runDir: vscode.Uri): Promise<{ results: AuditResults; status: RunStatus | null }> {
  const uri = vscode.Uri.joinPath(runDir, RESULTS_FILE);
  const text = await readText(uri);
  if (text === null) throw new Error(`${uri.fsPath}: no results.json (the run has not finished, or this is not a run folder)`);
  return { results: parseAuditResults(text, uri.fsPath), status: await readRunStatus(runDir).catch(() => null) };
}
