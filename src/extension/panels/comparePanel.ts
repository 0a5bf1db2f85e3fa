/** Compares two runs (or two children of one run: the same run on both sides) side by side. */
import * as vscode from 'vscode';
import { ShowComparison, ShowError, type RenderedInfo } from '../../protocol/webviewProtocol';
import { panelHtml, webviewOptions } from './panelAssets';
import { loadRunView } from './runView';
import { WebviewChannel } from './webviewChannel';

export const COMPARE_VIEW_TYPE = 'biasAudit.compare';

interface CompareState {
  left?: string;
  right?: string;
}

export class ComparePanels implements vscode.Disposable {
  private readonly open = new Set<vscode.WebviewPanel>();
  private readonly renderedEmitter = new vscode.EventEmitter<RenderedInfo>();
  readonly onDidRender = this.renderedEmitter.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly output: vscode.OutputChannel,
  ) {}

  serializer(): vscode.WebviewPanelSerializer<CompareState> {
    return {
      deserializeWebviewPanel: async (panel, state) => {
        if (!state?.left || !state.right) {
          panel.dispose();
          return;
        }
        this.attach(panel, vscode.Uri.file(state.left), vscode.Uri.file(state.right));
      },
    };
  }

  show(left: vscode.Uri, right: vscode.Uri): vscode.WebviewPanel {
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, 'Bias audit: compare', vscode.ViewColumn.Active, webviewOptions(this.extensionUri, [left, right]));
    this.attach(panel, left, right);
    return panel;
  }

  private attach(panel: vscode.WebviewPanel, left: vscode.Uri, right: vscode.Uri): void {
    panel.webview.options = webviewOptions(this.extensionUri, [left, right]);
    const channel = new WebviewChannel(panel.webview, 'compare', this.output);
    this.open.add(panel);
    const subs = [
      channel.onDidRender((info) => this.renderedEmitter.fire(info)),
      channel.onDidBecomeReady(async () => {
        try {
          const [l, r] = await Promise.all([loadRunView(panel.webview, left), loadRunView(panel.webview, right)]);
          await channel.post(ShowComparison, { left: l, right: r, leftModelId: null, rightModelId: null });
        } catch (e) {
          await channel.post(ShowError, { message: e instanceof Error ? e.message : String(e) });
        }
      }),
    ];
    panel.onDidDispose(() => {
      this.open.delete(panel);
      channel.dispose();
      for (const s of subs) s.dispose();
    });
    panel.webview.html = panelHtml(panel.webview, this.extensionUri, 'compare', panel.title);
  }

  dispose(): void {
    for (const panel of [...this.open]) panel.dispose();
    this.renderedEmitter.dispose();
  }
}
