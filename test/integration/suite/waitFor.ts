/** Waiting on events, never on the clock: resolves on the event and fails after a generous timeout (a hang guard). */
import type * as vscode from 'vscode';

export function nextEvent<T>(event: vscode.Event<T>, what: string, predicate: (value: T) => boolean = () => true, timeoutMs = 60000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const sub = event((value) => {
      if (!predicate(value)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(value);
    });
  });
}
