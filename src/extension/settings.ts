/** The extension's settings (contributes.configuration in package.json), read fresh on every use. */
import * as vscode from 'vscode';
import { COMPUTE_BACKEND_CHOICES, type ComputeBackendChoice } from '../protocol/backendProtocol';

export const SETTINGS_SECTION = 'biasAudit';

export interface AuditSettings {
  computeBackend: ComputeBackendChoice;
  threads: number | null;
  defaultSeeds: number[];
  defaultFreezeDepths: number[];
  /** Relative to the first workspace folder unless absolute. */
  outputFolder: string;
}

export function readSettings(): AuditSettings {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const backend = config.get<string>('computeBackend', 'auto');
  const threads = config.get<number | null>('threads', null);
  return {
    computeBackend: (COMPUTE_BACKEND_CHOICES as readonly string[]).includes(backend) ? (backend as ComputeBackendChoice) : 'auto',
    threads: typeof threads === 'number' && threads > 0 ? Math.floor(threads) : null,
    defaultSeeds: config.get<number[]>('defaultSeeds', [0, 1, 2]),
    defaultFreezeDepths: config.get<number[]>('defaultFreezeDepths', [0, 2, 4]),
    outputFolder: config.get<string>('outputFolder', 'bias-audit-runs'),
  };
}

/** The folder runs go to and are listed from; undefined without a workspace folder and with a relative setting. */
export function outputFolderUri(settings: AuditSettings = readSettings()): vscode.Uri | undefined {
  if (settings.outputFolder.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(settings.outputFolder)) return vscode.Uri.file(settings.outputFolder);
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder ? vscode.Uri.joinPath(folder.uri, settings.outputFolder) : undefined;
}
