/**
 * Browser entry of every panel (dist/webview.js). The panel kind comes from <body data-panel>. Posts Ready once
 * its listener is in place, renders whatever the host sends, and reports what it rendered.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import { isIpc, ReportWebviewError, ShowComparison, ShowError, ShowLive, ShowRun, WebviewReady, WebviewRendered, type PanelKind } from '../src/protocol/webviewProtocol';
import { renderComparison } from './compareApp';
import { h } from './dom';
import { renderLive } from './liveApp';
import { defaultUiState, renderResults, TAB_NAMES, type ResultsUiState } from './resultsApp';
import { post, updateUiState } from './vscodeApi';

const panel = (document.body.dataset.panel ?? 'results') as PanelKind;
const app = document.getElementById('app')!;

function mount(root: HTMLElement, runId: string | null, tab: string): void {
  app.replaceChildren(root);
  post(WebviewRendered, {
    panel,
    tab,
    runId,
    tables: app.querySelectorAll('table.data').length,
    charts: [...app.querySelectorAll('figure.chart')].filter((f) => f.querySelector('svg')).length,
    images: app.querySelectorAll('img').length,
    headings: [...app.querySelectorAll('h1, h2')].map((e) => e.textContent ?? ''),
  });
}

function safely(render: () => void): void {
  try {
    render();
  } catch (e) {
    const message = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
    app.replaceChildren(h('p', { class: 'error' }, `The panel could not render: ${message}`));
    post(ReportWebviewError, { message });
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data;
  if (isIpc(message, ShowRun)) {
    const run = message.params.run;
    updateUiState<ResultsUiState>({ runDir: run.runDir });
    const ui = defaultUiState(run.results, run.runDir);
    const draw = () => safely(() => mount(renderResults(run, ui, draw), run.results.runId, TAB_NAMES[ui.tab] ?? ''));
    draw();
  } else if (isIpc(message, ShowComparison)) {
    const { left, right, leftModelId, rightModelId } = message.params;
    const draw = () => safely(() => mount(renderComparison(left, right, leftModelId, rightModelId, draw), `${left.results.runId} | ${right.results.runId}`, 'compare'));
    draw();
  } else if (isIpc(message, ShowLive)) {
    const state = message.params;
    safely(() => mount(renderLive(state), state.latestRun?.runId ?? null, state.running ? 'running' : 'idle'));
  } else if (isIpc(message, ShowError)) {
    app.replaceChildren(h('p', { class: 'error' }, message.params.message));
  }
});

post(WebviewReady, { panel });
