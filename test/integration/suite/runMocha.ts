/** Runs test files with mocha inside the extension host (the extensionTestsPath entry points call this). */
import * as path from 'node:path';
import Mocha from 'mocha';

export function runMochaFiles(files: string[]): Promise<void> {
  // Real audits run in these tests: the per-test timeout is a hang guard, not a speed requirement.
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 240000, reporter: 'spec' });
  for (const file of files) mocha.addFile(path.resolve(__dirname, file));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} integration test(s) failed.`)) : resolve()));
  });
}
