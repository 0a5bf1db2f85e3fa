/** Webview options and HTML for a panel: scripts on, roots limited to the bundle, media and (for runs) the run folders. */
import * as vscode from 'vscode';
import type { PanelKind } from '../../protocol/webviewProtocol';
import { buildWebviewHtml, makeNonce } from './webviewHtml';

export function webviewOptions(extensionUri: vscode.Uri, runFolders: vscode.Uri[]): vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media'), ...runFolders],
  };
}

export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, panel: PanelKind, title: string): string {
  const asUri = (...path: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...path)).toString();
  return buildWebviewHtml({
    panel,
    title,
    cspSource: webview.cspSource,
    nonce: makeNonce(),
    scriptUri: asUri('dist', 'webview.js'),
    styleUris: [asUri('media', 'webview.css')],
    codiconsUri: asUri('media', 'vendor', 'codicons', 'codicon.css'),
  });
}
