/** What the panels' export buttons ask the host to do: copy a table as CSV, open report.html or a run file. */
import * as vscode from 'vscode';
import { CopyCsv, isIpc, OpenReport, OpenRunFile } from '../../protocol/webviewProtocol';

export async function handleExportMessage(message: unknown): Promise<void> {
  if (isIpc(message, CopyCsv)) {
    await vscode.env.clipboard.writeText(message.params.csv);
    void vscode.window.showInformationMessage(`Copied "${message.params.tableName}" as CSV.`);
  } else if (isIpc(message, OpenReport)) {
    const report = vscode.Uri.joinPath(vscode.Uri.file(message.params.runDir), 'report.html');
    try {
      await vscode.workspace.fs.stat(report);
    } catch {
      void vscode.window.showErrorMessage(`${report.fsPath}: no report.html in this run (run \`bias-audit report\` to write it).`);
      return;
    }
    await vscode.env.openExternal(report);
  } else if (isIpc(message, OpenRunFile)) {
    const parts = message.params.relativePath.split('/');
    if (parts.includes('..')) return;
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.joinPath(vscode.Uri.file(message.params.runDir), ...parts));
  }
}
