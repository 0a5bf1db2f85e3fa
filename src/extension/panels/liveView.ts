/**
 * The Bias Audit view (bottom panel): the latest run's summary, live while it trains (progress, loss and accuracy
 * curves per model). Reposts the whole (small) state at most every 200 ms.
 */
import * as vscode from 'vscode';
import { ShowLive, type LiveState, type RenderedInfo } from '../../protocol/webviewProtocol';
import type { BackendClient } from '../backendClient';
import type { AuditJobs } from '../auditJobs';
import type { RunsTreeProvider } from '../runsTree';
import { panelHtml, webviewOptions } from './panelAssets';
import { WebviewChannel } from './webviewChannel';

export const LIVE_VIEW_ID = 'biasAudit.live';

export class LiveViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private channel: WebviewChannel | undefined;
  private pending: ReturnType<typeof setTimeout> | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly renderedEmitter = new vscode.EventEmitter<RenderedInfo>();
  readonly onDidRender = this.renderedEmitter.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly output: vscode.OutputChannel,
    private readonly client: BackendClient,
    private readonly jobs: AuditJobs,
    private readonly runs: RunsTreeProvider,
  ) {
    this.disposables.push(
      jobs.onDidUpdate(() => this.schedule()),
      client.onDidChangeState(() => this.schedule()),
      runs.onDidChangeTreeData(() => this.schedule()),
      this.renderedEmitter,
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    view.webview.options = webviewOptions(this.extensionUri, []);
    this.channel?.dispose();
    const channel = new WebviewChannel(view.webview, 'live', this.output);
    this.channel = channel;
    this.disposables.push(
      channel,
      channel.onDidBecomeReady(async () => {
        await this.runs.loadRuns().catch(() => undefined);
        await channel.post(ShowLive, this.state());
      }),
      channel.onDidRender((info) => this.renderedEmitter.fire(info)),
    );
    view.onDidDispose(() => {
      if (this.channel === channel) this.channel = undefined;
      channel.dispose();
    });
    view.webview.html = panelHtml(view.webview, this.extensionUri, 'live', 'Bias Audit');
  }

  state(): LiveState {
    return {
      latestRun: this.runs.currentRuns[0] ?? null,
      running: this.jobs.running,
      progress: this.jobs.lastProgress,
      curves: this.jobs.curves,
      backend: { state: this.client.state, detail: this.client.detail },
    };
  }

  private schedule(): void {
    if (this.pending || !this.channel) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      void this.runs
        .loadRuns()
        .catch(() => undefined)
        .then(() => this.channel?.post(ShowLive, this.state()));
    }, 200);
  }

  dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    for (const d of this.disposables) d.dispose();
  }
}
