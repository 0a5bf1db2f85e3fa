/**
 * The HTML shell of every panel: a strict Content-Security-Policy (scripts only with this load's nonce, images and
 * fonts only from the extension and the run folder via the webview's cspSource, no network), the panel kind on
 * <body>, and the browser bundle. Styles allow 'unsafe-inline' because Observable Plot writes <style> elements and
 * style attributes into its SVG at run time; scripts stay nonce-only.
 */
import { randomBytes } from 'node:crypto';
import type { PanelKind } from '../../protocol/webviewProtocol';

export interface WebviewHtmlOptions {
  panel: PanelKind;
  title: string;
  /** `webview.cspSource`. */
  cspSource: string;
  nonce: string;
  /** `asWebviewUri` strings. */
  scriptUri: string;
  styleUris: string[];
  codiconsUri: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, 'x');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    `style-src ${cspSource} 'unsafe-inline'`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export function buildWebviewHtml(o: WebviewHtmlOptions): string {
  const styles = o.styleUris.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`).join('\n  ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(o.cspSource, o.nonce))}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <title>${escapeHtml(o.title)}</title>
  <link rel="stylesheet" href="${escapeHtml(o.codiconsUri)}" id="vscode-codicon-stylesheet">
  ${styles}
</head>
<body data-panel="${o.panel}">
  <main id="app"><p class="loading">Loading…</p></main>
  <script type="module" nonce="${o.nonce}" src="${escapeHtml(o.scriptUri)}"></script>
</body>
</html>`;
}
