/** CodeLens on audit configs: "Run audit" and the last run's headline figure (opens its results). */
import * as vscode from 'vscode';
import type { RunsTreeProvider } from './runsTree';

export class AuditConfigCodeLens implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly runs: RunsTreeProvider) {
    this.sub = runs.onDidChangeTreeData(() => this.changed.fire());
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const top = new vscode.Range(0, 0, 0, 0);
    const lenses = [new vscode.CodeLens(top, { title: vscode.workspace.isTrusted ? '$(play) Run audit' : '$(shield) Run audit (trust the workspace first)', command: 'biasAudit.runAudit', arguments: [document.uri] })];
    const last = this.runs.currentRuns.find((r) => r.configPath === document.uri.fsPath);
    if (last) {
      const figure = last.headline[0] ? `${last.headline[0].label}: ${last.headline[0].value}` : last.state;
      lenses.push(new vscode.CodeLens(top, { title: `Last run ${last.state}: ${figure}`, command: last.hasResults ? 'biasAudit.openResults' : 'biasAudit.showRuns', arguments: last.hasResults ? [vscode.Uri.file(last.runDir)] : [] }));
    }
    return lenses;
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}
