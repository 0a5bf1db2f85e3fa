/** One status bar item: backend state when idle (ok / starting / failed / stopped, click restarts when broken), progress while an audit runs. */
import * as vscode from 'vscode';
import type { BackendClient } from './backendClient';
import type { AuditJobs } from './auditJobs';
import { formatProgress } from './progressText';

export class AuditStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('biasAudit.status', vscode.StatusBarAlignment.Left, 10);
  private readonly subs: vscode.Disposable[];

  constructor(
    private readonly client: BackendClient,
    private readonly jobs: AuditJobs,
  ) {
    this.item.name = 'Bias Audit';
    this.subs = [client.onDidChangeState(() => this.update()), jobs.onDidUpdate(() => this.update())];
    this.update();
    this.item.show();
  }

  /** The text shown now (tests read it). */
  get text(): string {
    return this.item.text;
  }

  private update(): void {
    const p = this.jobs.lastProgress;
    if (this.jobs.running) {
      this.item.text = p ? `$(sync~spin) Audit ${Math.min(p.stepIndex + 1, p.stepsTotal)}/${p.stepsTotal}` : '$(sync~spin) Audit starting';
      this.item.tooltip = p ? formatProgress(p) : 'starting';
      this.item.command = { command: 'biasAudit.cancelAudit', title: 'Cancel Audit' };
      this.item.backgroundColor = undefined;
      return;
    }
    const state = this.client.state;
    const icon = { stopped: '$(circle-slash)', starting: '$(loading~spin)', running: '$(beaker)', failed: '$(error)' }[state];
    this.item.text = `${icon} Bias Audit`;
    this.item.tooltip = `Bias audit backend: ${state} (${this.client.detail})${state === 'failed' ? ' — click to restart' : ''}`;
    this.item.command = state === 'failed' ? 'biasAudit.restartBackend' : 'biasAudit.showLog';
    this.item.backgroundColor = state === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.item.dispose();
  }
}
