/** extensionTestsPath of the trusted-workspace session: the extension against the real audit. */
import { runMochaFiles } from './runMocha';

export function run(): Promise<void> {
  return runMochaFiles(['extension.test.js']);
}
