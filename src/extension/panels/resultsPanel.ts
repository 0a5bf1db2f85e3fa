/**
 * One results panel per run folder. Restored after a reload by the serializer (the webview persists `{ runDir }`
 * with setState); data is always read again from the run folder.
 */
import * as vscode from 'vscode';
import { CopyCsv, isIpc, OpenReport, OpenRunFile, ShowError, ShowRun, type RenderedInfo } from '../../protocol/webviewProtocol';
import { panelHtml, webviewOptions } from './panelAssets';
import { loadRunView } from './runView';
import { WebviewChannel } from './webviewChannel';
import { handleExportMessage } from './exportActions';

export const RESULTS_VIEW_TYPE = 'biasAudit.results';

interface OpenPanel {
  panel: vscode.WebviewPanel;
  channel: WebviewChannel;
}

export class ResultsPanels implements vscode.Disposable {
  private readonly panels = new Map<string, OpenPanel>();
  private readonly renderedEmitter = new vscode.EventEmitter<RenderedInfo & { runDir: string }>();
  private readonly failedEmitter = new vscode.EventEmitter<{ runDir: string; message: string }>();
  /** Every render of every results panel (tests wait on it). */
  readonly onDidRender = this.renderedEmitter.event;
  /** A run that could not be shown (bad or missing results.json): the panel shows the message. */
  readonly onDidFail = this.failedEmitter.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly output: vscode.OutputChannel,
  ) {}

  serializer(): vscode.WebviewPanelSerializer<{ runDir?: string }> {
    return {
      deserializeWebviewPanel: async (panel, state) => {
        if (!state?.runDir) {
          panel.dispose();
          return;
        }
        this.attach(panel, vscode.Uri.file(state.runDir));
      },
    };
  }

  isOpen(runUri: vscode.Uri): boolean {
    return this.panels.has(runUri.fsPath);
  }

  open(runUri: vscode.Uri): vscode.WebviewPanel {
    const existing = this.panels.get(runUri.fsPath);
    if (existing) {
      existing.panel.reveal();
      void this.show(existing, runUri);
      return existing.panel;
    }
    const title = `Bias audit: ${runUri.path.split('/').pop() ?? 'results'}`;
    const panel = vscode.window.createWebviewPanel(RESULTS_VIEW_TYPE, title, vscode.ViewColumn.Active, { ...webviewOptions(this.extensionUri, [runUri]), retainContextWhenHidden: false });
    this.attach(panel, runUri);
    return panel;
  }

  private attach(panel: vscode.WebviewPanel, runUri: vscode.Uri): void {
    // Reset the options on restore too: a deserialised panel keeps none of them.
    panel.webview.options = webviewOptions(this.extensionUri, [runUri]);
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.svg');
    const channel = new WebviewChannel(panel.webview, 'results', this.output);
    const entry: OpenPanel = { panel, channel };
    this.panels.set(runUri.fsPath, entry);
    const subs = [
      channel.onDidBecomeReady(() => void this.show(entry, runUri)),
      channel.onDidRender((info) => this.renderedEmitter.fire({ ...info, runDir: runUri.fsPath })),
      channel.onMessage((m) => {
        if (isIpc(m, CopyCsv) || isIpc(m, OpenReport) || isIpc(m, OpenRunFile)) void handleExportMessage(m);
      }),
    ];
    panel.onDidDispose(() => {
      this.panels.delete(runUri.fsPath);
      channel.dispose();
      for (const s of subs) s.dispose();
    });
    panel.webview.html = panelHtml(panel.webview, this.extensionUri, 'results', panel.title);
  }

  private async show(entry: OpenPanel, runUri: vscode.Uri): Promise<void> {
    try {
      await entry.channel.post(ShowRun, { run: await loadRunView(entry.panel.webview, runUri) });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.output.appendLine(`results panel: ${message}`);
      this.failedEmitter.fire({ runDir: runUri.fsPath, message });
      await entry.channel.post(ShowError, { message });
    }
  }

  /** Reloads every open panel of this run (after a resumed run finished). */
  refresh(runUri: vscode.Uri): void {
    const entry = this.panels.get(runUri.fsPath);
    if (entry) void this.show(entry, runUri);
  }

  dispose(): void {
    for (const { panel } of [...this.panels.values()]) panel.dispose();
    this.renderedEmitter.dispose();
    this.failedEmitter.dispose();
  }
}
