/** Extension entry point (dist/extension.js). Activation is cheap: the backend starts on the first audit. */
import type * as vscode from 'vscode';
import { AuditContext } from './auditContext';
import { registerCommands } from './commands';

let context: AuditContext | undefined;

/** What activate() returns: handles for the integration tests (and other extensions). */
export interface BiasAuditApi {
  context: AuditContext;
}

export function activate(extensionContext: vscode.ExtensionContext): BiasAuditApi {
  context = new AuditContext(extensionContext);
  registerCommands(context);
  return { context };
}

export async function deactivate(): Promise<void> {
  const current = context;
  context = undefined;
  await current?.dispose();
}
