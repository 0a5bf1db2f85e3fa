// The conventional way to run the integration suites: @vscode/test-cli + @vscode/test-electron, which DOWNLOAD a
// desktop VS Code (needs internet; CI here uses the offline code-server harness: npm run test:integration).
// Usage: npm run test:vscode-electron   (builds, compiles, then runs `vscode-test` with this file: both labels)
//        npx vscode-test --label trusted   (one of them)
// Both suites run the REAL audit in the workspace harness.mjs prepares (tiny foundation pretrained by the CLI, the
// Fashion-MNIST sample, the audit configs, the committed fixture run).
// @vscode/test-cli reads this file's default export (the tool requires it).
import { defineConfig } from '@vscode/test-cli';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareWorkspace } from './test/integration/runner/harness.mjs';

/** A throw-away user-data-dir whose settings open the workspace trusted or in restricted mode (no trust prompt). */
function userDataDir(trusted) {
  const dir = mkdtempSync(join(tmpdir(), 'bias-audit-vscode-user-'));
  mkdirSync(join(dir, 'User'), { recursive: true });
  const trust = trusted
    ? { 'security.workspace.trust.enabled': false }
    : { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'never' };
  writeFileSync(join(dir, 'User', 'settings.json'), JSON.stringify({ 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', ...trust }));
  return dir;
}

const common = { version: '1.139.1', mocha: { ui: 'tdd', timeout: 240000 } };

export default defineConfig([
  {
    ...common,
    label: 'trusted',
    files: 'out/test/integration/suite/extension.test.js',
    workspaceFolder: prepareWorkspace(),
    launchArgs: ['--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${userDataDir(true)}`],
  },
  {
    ...common,
    label: 'untrusted',
    files: 'out/test/integration/suite/untrusted.test.js',
    workspaceFolder: prepareWorkspace(),
    launchArgs: ['--disable-extensions', `--user-data-dir=${userDataDir(false)}`],
  },
]);
