/** The Runs view: each run with its status, date and headline figures; its steps as children. */
import * as vscode from 'vscode';
import type { RunStep, RunSummary } from '../protocol/runStatus';
import { listRuns, readRunStatus } from './runFolderReader';
import { outputFolderUri } from './settings';

export type RunsTreeNode = { kind: 'run'; run: RunSummary } | { kind: 'step'; step: RunStep } | { kind: 'figure'; label: string; value: string } | { kind: 'message'; text: string };

const STATE_ICONS: Record<RunSummary['state'], string> = { running: 'sync~spin', done: 'pass', cancelled: 'debug-pause', failed: 'error', unknown: 'question' };
const STEP_ICONS: Record<RunStep['state'], string> = { pending: 'circle-outline', running: 'sync~spin', done: 'pass', reused: 'history', failed: 'error', cancelled: 'debug-pause' };

export function formatRunDate(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)}`;
}

export function runDescription(run: RunSummary): string {
  const progress = run.state === 'running' ? ` ${run.stepsDone}/${run.stepsTotal}` : '';
  const headline = run.headline[0] ? ` · ${run.headline[0].label} ${run.headline[0].value}` : '';
  return `${run.state}${progress} · ${formatRunDate(run.startedAt)}${headline}`;
}

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private runs: RunSummary[] = [];

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** The runs as last listed (newest first). */
  get currentRuns(): RunSummary[] {
    return this.runs;
  }

  /** Lists the runs again from disk (also used by the Bias Audit view when the Runs view is closed). */
  async loadRuns(): Promise<RunSummary[]> {
    const folder = outputFolderUri();
    this.runs = folder ? await listRuns(folder) : [];
    return this.runs;
  }

  async getChildren(node?: RunsTreeNode): Promise<RunsTreeNode[]> {
    if (!node) {
      if (!outputFolderUri()) return [{ kind: 'message', text: 'Open a folder to see its audit runs.' }];
      return (await this.loadRuns()).map((run) => ({ kind: 'run', run }));
    }
    if (node.kind !== 'run') return [];
    const figures: RunsTreeNode[] = node.run.headline.map((f) => ({ kind: 'figure', label: f.label, value: f.value }));
    const status = await readRunStatus(vscode.Uri.file(node.run.runDir)).catch(() => null);
    const problem: RunsTreeNode[] = node.run.problem ? [{ kind: 'message', text: node.run.problem }] : [];
    return [...problem, ...figures, ...(status?.steps ?? []).map((step): RunsTreeNode => ({ kind: 'step', step }))];
  }

  getTreeItem(node: RunsTreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'run': {
        const item = new vscode.TreeItem(node.run.runId, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = node.run.runDir;
        item.description = runDescription(node.run);
        item.iconPath = new vscode.ThemeIcon(STATE_ICONS[node.run.state]);
        item.contextValue = node.run.hasResults ? 'biasAudit.run.withResults' : 'biasAudit.run';
        item.resourceUri = vscode.Uri.file(node.run.runDir);
        item.tooltip = new vscode.MarkdownString([`**${node.run.runId}** (${node.run.state})`, node.run.runDir, ...node.run.headline.map((f) => `- ${f.label}: ${f.value}`)].join('\n\n'));
        if (node.run.hasResults) item.command = { command: 'biasAudit.openResults', title: 'Open Results', arguments: [item.resourceUri] };
        return item;
      }
      case 'step': {
        const item = new vscode.TreeItem(node.step.label, vscode.TreeItemCollapsibleState.None);
        item.description = node.step.state + (node.step.seconds !== null ? ` · ${node.step.seconds.toFixed(1)} s` : '');
        item.iconPath = new vscode.ThemeIcon(STEP_ICONS[node.step.state]);
        return item;
      }
      case 'figure': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.description = node.value;
        item.iconPath = new vscode.ThemeIcon('graph');
        return item;
      }
      case 'message':
        return new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}
