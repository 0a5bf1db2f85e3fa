/** extensionTestsPath of the untrusted-workspace session (restricted mode): results viewable, nothing runs. */
import { runMochaFiles } from './runMocha';

export function run(): Promise<void> {
  return runMochaFiles(['untrusted.test.js']);
}
