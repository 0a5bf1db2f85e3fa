/**
 * Messages between the extension host and the panels' webviews (the gitlens pattern): typed commands
 * (webview -> host, no answer), notifications (host -> webview) and one envelope. Compiled into both the
 * extension bundle and the browser bundle, so it imports types only.
 *
 * Rules: the host posts nothing before the webview's `Ready`; the webview persists only UI state (tab,
 * filters) with `setState` and gets data again from the host after a reload.
 */

import type { ProgressUpdate, TrainingCurvePoint } from './backendProtocol';
import type { AuditResults, TrainingEpoch } from './results';
import type { RunStatus, RunSummary } from './runStatus';

export type PanelKind = 'results' | 'compare' | 'live';

export interface IpcMessage {
  method: string;
  params: unknown;
}

export interface IpcType<Params> {
  readonly method: string;
  /** Phantom field carrying the params type; never set. */
  readonly _params?: Params;
}

function ipc<Params>(method: string): IpcType<Params> {
  return { method };
}

export function isIpc<Params>(message: unknown, type: IpcType<Params>): message is { method: string; params: Params } {
  return typeof message === 'object' && message !== null && (message as IpcMessage).method === type.method;
}

export function ipcMessage<Params>(type: IpcType<Params>, params: Params): IpcMessage {
  return { method: type.method, params };
}

/** One run as a panel shows it: the results plus webview-safe URIs for every image it names. */
export interface RunView {
  runDir: string;
  title: string;
  results: AuditResults;
  status: RunStatus | null;
  /** results-relative image path -> `asWebviewUri` string. */
  imageUris: Record<string, string>;
}

/* ---------------------------------------------------------------- webview -> host */

export const WebviewReady = ipc<{ panel: PanelKind }>('webview/ready');
/** After each render: what is on screen, so tests and the screenshot check content, not pixels. */
export interface RenderedInfo {
  panel: PanelKind;
  tab: string;
  /** Run shown (results/compare), null in the live view. */
  runId: string | null;
  tables: number;
  charts: number;
  images: number;
  headings: string[];
}
export const WebviewRendered = ipc<RenderedInfo>('webview/rendered');
export const CopyCsv = ipc<{ tableName: string; csv: string }>('webview/copyCsv');
export const OpenReport = ipc<{ runDir: string }>('webview/openReport');
export const OpenRunFile = ipc<{ runDir: string; relativePath: string }>('webview/openRunFile');
export const ReportWebviewError = ipc<{ message: string }>('webview/error');

/* ---------------------------------------------------------------- host -> webview */

export const ShowRun = ipc<{ run: RunView }>('host/showRun');
export const ShowComparison = ipc<{ left: RunView; right: RunView; leftModelId: string | null; rightModelId: string | null }>('host/showComparison');
export const ShowError = ipc<{ message: string }>('host/showError');

export interface LiveCurve {
  modelId: string;
  modelLabel: string;
  points: TrainingEpoch[];
}

export interface LiveState {
  /** The latest run of the workspace (the inline summary), or null when there is none. */
  latestRun: RunSummary | null;
  running: boolean;
  progress: ProgressUpdate | null;
  curves: LiveCurve[];
  backend: { state: 'starting' | 'running' | 'stopped' | 'failed'; detail: string };
}

export const ShowLive = ipc<LiveState>('host/showLive');
export const LiveProgress = ipc<ProgressUpdate>('host/liveProgress');
export const LiveCurvePoint = ipc<TrainingCurvePoint>('host/liveCurvePoint');
