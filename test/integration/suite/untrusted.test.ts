/**
 * The extension in an UNTRUSTED workspace (code-server opened the folder in restricted mode; see
 * run-in-code-server.mjs): results can be viewed, nothing runs. The workspace is the same as the trusted suite's.
 */
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { JobOutcome } from '../../../src/protocol/backendProtocol';
import { DEFAULT_TRIGGER, type GuidedAnswers } from '../../../src/extension/auditConfigTemplate';
import type { BiasAuditApi } from '../../../src/extension/extension';
import { nextEvent } from './waitFor';

const EXTENSION_ID = 'bias-audit.bias-transfer-auditor';
const FIXTURE_RUN_ID = 'fixture-20251120-091403';

function workspaceUri(...parts: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace has no folder');
  return vscode.Uri.joinPath(folder.uri, ...parts);
}

suite('Bias Transfer Auditor in an untrusted workspace', () => {
  let api: BiasAuditApi;

  suiteSetup(async () => {
    const extension = vscode.extensions.getExtension<BiasAuditApi>(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} is not loaded (it declares limited support for untrusted workspaces)`);
    api = await extension.activate();
  });

  test('the workspace is untrusted and the extension is active in restricted mode', () => {
    assert.equal(vscode.workspace.isTrusted, false);
    assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
  });

  test('Run Audit, Audit Bias Transfer, Run Single Probe and Restart Backend run nothing and start no backend', async () => {
    const config = workspaceUri('audits', 'tiny.biasaudit.json');
    const model = workspaceUri('checkpoints', 'foundation', 'model.json');
    const answers: GuidedAnswers = { targetTrain: 'idx:../../data/fashion-mnist/finetune-images-idx3-ubyte.gz,../../data/fashion-mnist/finetune-labels-idx1-ubyte.gz', targetTest: null, freezeDepths: [0], seeds: [0], probes: ['interventions'] };
    assert.equal(await vscode.commands.executeCommand<JobOutcome | undefined>('biasAudit.runAudit', config), undefined);
    assert.equal(await vscode.commands.executeCommand<JobOutcome | undefined>('biasAudit.auditModel', model, answers), undefined);
    assert.equal(await vscode.commands.executeCommand<JobOutcome | undefined>('biasAudit.runProbe', model, { probe: 'asr', dataSpec: 'x', trigger: DEFAULT_TRIGGER }), undefined);
    await vscode.commands.executeCommand('biasAudit.restartBackend');
    assert.equal(api.context.backend.state, 'stopped');
    assert.equal(api.context.backend.pid, undefined, 'a backend process was started');
    assert.equal(existsSync(workspaceUri('bias-audit-runs', 'tiny').fsPath), false, 'an audit ran');
    assert.equal(existsSync(workspaceUri('checkpoints', 'foundation', 'foundation.biasaudit.json').fsPath), false, 'the guided flow wrote a config');
  });

  test('the backend client itself refuses to start', async () => {
    await assert.rejects(api.context.backend.ready(), /untrusted workspace/);
    assert.equal(api.context.backend.state, 'stopped');
  });

  test('results can be viewed: the Runs view lists the run and the results panel renders it', async () => {
    const roots = await api.context.runs.getChildren();
    assert.ok(roots.some((n) => n.kind === 'run' && n.run.runId === FIXTURE_RUN_ID), 'the run is not listed');
    const rendered = nextEvent(api.context.results.onDidRender, 'the results panel to render', (r) => r.runId === FIXTURE_RUN_ID);
    await vscode.commands.executeCommand('biasAudit.openResults', workspaceUri('bias-audit-runs', 'run-fixture'));
    const info = await rendered;
    assert.equal(info.tables, 13);
    assert.equal(info.charts, 7);
    assert.equal(api.context.backend.state, 'stopped', 'viewing results must not start the backend');
  });
});
