/**
 * The host's end of one webview: nothing is posted before the webview says `Ready` (posting earlier can be lost),
 * every post waits for readiness with a timeout, and messages from the webview arrive typed.
 */
import * as vscode from 'vscode';
import { ipcMessage, isIpc, WebviewReady, WebviewRendered, ReportWebviewError, type IpcType, type PanelKind, type RenderedInfo } from '../../protocol/webviewProtocol';

export class WebviewChannel implements vscode.Disposable {
  private readyResolve!: () => void;
  private ready: Promise<void>;
  private isReady = false;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly messages = new vscode.EventEmitter<unknown>();
  private readonly rendered = new vscode.EventEmitter<RenderedInfo>();
  private readonly readyEmitter = new vscode.EventEmitter<void>();
  readonly onMessage = this.messages.event;
  readonly onDidRender = this.rendered.event;
  /** Fires on each Ready (again after the webview reloaded, e.g. when a view is shown again). */
  readonly onDidBecomeReady = this.readyEmitter.event;

  constructor(
    private readonly webview: vscode.Webview,
    readonly panel: PanelKind,
    private readonly output: vscode.OutputChannel,
    private readonly timeoutMs = 30000,
  ) {
    this.ready = new Promise((resolve) => (this.readyResolve = resolve));
    this.disposables.push(
      webview.onDidReceiveMessage((message: unknown) => {
        if (isIpc(message, WebviewReady)) {
          this.isReady = true;
          this.readyResolve();
          this.readyEmitter.fire();
        } else if (isIpc(message, WebviewRendered)) {
          this.rendered.fire(message.params);
        } else if (isIpc(message, ReportWebviewError)) {
          this.output.appendLine(`[${panel} webview] ${message.params.message}`);
        }
        this.messages.fire(message);
      }),
      this.messages,
      this.rendered,
      this.readyEmitter,
    );
  }

  /** The webview's HTML is about to be replaced: wait for a new Ready. */
  resetReady(): void {
    if (!this.isReady) return;
    this.isReady = false;
    this.ready = new Promise((resolve) => (this.readyResolve = resolve));
  }

  /** Posts once the webview is ready; false when it did not become ready or did not accept within the timeout. */
  async post<P>(type: IpcType<P>, params: P): Promise<boolean> {
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), this.timeoutMs));
    if ((await Promise.race([this.ready.then(() => 'ready' as const), timeout])) === 'timeout') {
      this.output.appendLine(`[${this.panel} webview] not ready after ${this.timeoutMs} ms; dropped ${type.method}`);
      return false;
    }
    const accepted = await Promise.race([Promise.resolve(this.webview.postMessage(ipcMessage(type, params))), timeout]);
    if (accepted !== true) this.output.appendLine(`[${this.panel} webview] ${type.method} was not delivered (${accepted === 'timeout' ? 'timeout' : 'webview hidden or gone'})`);
    return accepted === true;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
