/** Turns a run folder into what a panel shows: results plus an `asWebviewUri` for every image the results name. */
import * as vscode from 'vscode';
import type { AuditResults } from '../../protocol/results';
import type { RunView } from '../../protocol/webviewProtocol';
import { readRun } from '../runFolderReader';

/** Every run-relative image path in the results (stimuli and trigger examples). */
export function imagePaths(results: AuditResults): string[] {
  const paths = new Set<string>();
  for (const s of results.probes.strongStimuli?.stimuli ?? []) paths.add(s.image);
  for (const t of results.probes.interventions?.triggers ?? []) if (t.example) paths.add(t.example);
  return [...paths].filter((p) => !p.startsWith('/') && !p.split('/').includes('..'));
}

export async function loadRunView(webview: vscode.Webview, runUri: vscode.Uri): Promise<RunView> {
  const { results, status } = await readRun(runUri);
  const imageUris: Record<string, string> = {};
  for (const path of imagePaths(results)) imageUris[path] = webview.asWebviewUri(vscode.Uri.joinPath(runUri, ...path.split('/'))).toString();
  return { runDir: runUri.fsPath, title: results.runId, results, status, imageUris };
}
