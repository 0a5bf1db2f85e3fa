// The conventional way to run the integration suite: @vscode/test-cli + @vscode/test-electron, which DOWNLOAD a
// desktop VS Code (needs internet; CI here uses the offline code-server harness: npm run test:integration).
// Usage: npm run test:vscode-electron   (builds, compiles, then runs `vscode-test` with this file)
// @vscode/test-cli reads this file's default export (the tool requires it).
import { defineConfig } from '@vscode/test-cli';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The suite expects a workspace holding a checkpoint and the fixture run (as the offline runner prepares it).
const workspace = mkdtempSync(join(tmpdir(), 'bias-audit-ws-'));
cpSync('test/integration/workspace-template', workspace, { recursive: true });
cpSync('test/fixtures/results/run-fixture', join(workspace, 'bias-audit-runs/run-fixture'), { recursive: true });
const mode = process.env.BIAS_AUDIT_INTEGRATION_AUDIT || 'fake';

export default defineConfig({
  label: 'integration',
  files: 'out/test/integration/suite/extension.test.js',
  version: '1.139.1',
  workspaceFolder: workspace,
  launchArgs: ['--disable-extensions', '--disable-workspace-trust'],
  env: {
    BIAS_AUDIT_INTEGRATION_AUDIT: mode,
    ...(mode === 'fake' ? { BIAS_AUDIT_FAKE_AUDIT: '1', BIAS_AUDIT_FAKE_FIXTURE: join(process.cwd(), 'test/fixtures/results/run-fixture'), BIAS_AUDIT_FAKE_BATCH_MS: '25' } : {}),
  },
  mocha: { ui: 'tdd', timeout: 120000 },
});
