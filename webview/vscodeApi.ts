/** The webview's end of the host channel: typed posts, persisted UI state. */
import { ipcMessage, type IpcType } from '../src/protocol/webviewProtocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export function post<P>(type: IpcType<P>, params: P): void {
  api.postMessage(ipcMessage(type, params));
}

/** UI state only (tab, filters, which run); data is always sent again by the host. */
export function getUiState<T extends object>(): Partial<T> {
  const state = api.getState();
  return typeof state === 'object' && state !== null ? (state as Partial<T>) : {};
}

export function updateUiState<T extends object>(patch: Partial<T>): void {
  api.setState({ ...getUiState<T>(), ...patch });
}
