/**
 * Owns everything the extension starts (the rust-analyzer "Ctx" pattern): output channel, backend client, jobs,
 * views, panels, status bar. Commands stay registered even when the backend failed to start. `dispose` awaits the
 * backend's stop, so deactivation leaves no orphan process.
 */
import * as vscode from 'vscode';
import { AuditJobs } from './auditJobs';
import { BackendClient } from './backendClient';
import { AuditConfigCodeLens } from './codeLens';
import { ComparePanels, COMPARE_VIEW_TYPE } from './panels/comparePanel';
import { LiveViewProvider, LIVE_VIEW_ID } from './panels/liveView';
import { ResultsPanels, RESULTS_VIEW_TYPE } from './panels/resultsPanel';
import { RunsTreeProvider } from './runsTree';
import { readSettings, SETTINGS_SECTION } from './settings';
import { AuditStatusBar } from './statusBar';

export const RUNS_VIEW_ID = 'biasAudit.runs';

export class AuditContext {
  readonly output: vscode.OutputChannel;
  readonly backend: BackendClient;
  readonly jobs: AuditJobs;
  readonly runs: RunsTreeProvider;
  readonly results: ResultsPanels;
  readonly compare: ComparePanels;
  readonly live: LiveViewProvider;
  readonly statusBar: AuditStatusBar;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(readonly extension: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('Bias Audit');
    const version = String((extension.extension.packageJSON as { version?: string }).version ?? '0.0.0');
    this.backend = new BackendClient({
      backendScript: vscode.Uri.joinPath(extension.extensionUri, 'dist', 'backend.js').fsPath,
      clientVersion: version,
      output: this.output,
      settings: () => readSettings(),
      environment: () => ({}),
      isTrusted: () => vscode.workspace.isTrusted,
    });
    this.jobs = new AuditJobs(this.backend, this.output);
    this.runs = new RunsTreeProvider();
    this.results = new ResultsPanels(extension.extensionUri, this.output);
    this.compare = new ComparePanels(extension.extensionUri, this.output);
    this.live = new LiveViewProvider(extension.extensionUri, this.output, this.backend, this.jobs, this.runs);
    this.statusBar = new AuditStatusBar(this.backend, this.jobs);

    const watcher = vscode.workspace.createFileSystemWatcher('**/{status,results}.json');
    const refresh = () => this.runs.refresh();
    this.disposables.push(
      this.output,
      this.jobs,
      this.runs,
      this.results,
      this.compare,
      this.live,
      this.statusBar,
      watcher,
      watcher.onDidCreate(refresh),
      watcher.onDidChange(refresh),
      watcher.onDidDelete(refresh),
      this.jobs.onDidFinish((o) => {
        this.runs.refresh();
        if (o.runDir) this.results.refresh(vscode.Uri.file(o.runDir));
      }),
      this.backend.onStatus((s) => {
        if (!s.realAudit) this.output.appendLine('NOTE: the backend runs the BIAS_AUDIT_FAKE_AUDIT test double, not the real audit.');
      }),
      vscode.window.registerTreeDataProvider(RUNS_VIEW_ID, this.runs),
      vscode.window.registerWebviewViewProvider(LIVE_VIEW_ID, this.live),
      vscode.window.registerWebviewPanelSerializer(RESULTS_VIEW_TYPE, this.results.serializer()),
      vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, this.compare.serializer()),
      vscode.languages.registerCodeLensProvider({ pattern: '**/*.biasaudit.json' }, new AuditConfigCodeLens(this.runs)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SETTINGS_SECTION}.outputFolder`)) this.runs.refresh();
      }),
    );
  }

  registerCommand(id: string, handler: (...args: never[]) => unknown): void {
    this.disposables.push(vscode.commands.registerCommand(id, handler as (...args: unknown[]) => unknown));
  }

  async dispose(): Promise<void> {
    await this.backend.dispose();
    for (const d of this.disposables.reverse()) d.dispose();
  }
}
