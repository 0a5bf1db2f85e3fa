/**
 * The extension inside a real VS Code (code-server's 1.139 extension host). The workspace holds a placeholder
 * checkpoint (checkpoints/foundation/model.json) and the fixture run (bias-audit-runs/run-fixture).
 * BIAS_AUDIT_INTEGRATION_AUDIT tells which audit the backend runs: `fake` (the BIAS_AUDIT_FAKE_AUDIT double) or `real`.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { JobOutcome, ProgressUpdate } from '../../../src/protocol/backendProtocol';
import type { RunStatus } from '../../../src/protocol/runStatus';
import type { BiasAuditApi } from '../../../src/extension/extension';
import type { GuidedAnswers } from '../../../src/extension/auditConfigTemplate';
import { nextEvent, until } from './waitFor';

const EXTENSION_ID = 'bias-audit.bias-transfer-auditor';
const ANSWERS: GuidedAnswers = { targetTrain: 'fashion-mnist:/usr/share/datasets/fashion-mnist', targetTest: null, freezeDepths: [0, 2], seeds: [0], probes: ['strongStimuli', 'interventions'] };

function workspaceUri(...parts: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace has no folder');
  return vscode.Uri.joinPath(folder.uri, ...parts);
}

function readStatus(runDir: string): RunStatus {
  return JSON.parse(readFileSync(path.join(runDir, 'status.json'), 'utf8')) as RunStatus;
}

async function writeConfig(name: string): Promise<vscode.Uri> {
  const uri = workspaceUri('checkpoints', 'foundation', name);
  const config = { foundation: './model.json', target: { train: ANSWERS.targetTrain }, children: { freezeDepths: [0], scratch: true, seeds: [0] }, probes: { strongStimuli: {} } };
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(JSON.stringify(config, null, 2)));
  return uri;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The results panel's render, or its failure message as the error (instead of a timeout). */
function resultsShown(api: BiasAuditApi, what: string, predicate: (r: { runId: string | null; runDir: string }) => boolean) {
  const failed = nextEvent(api.context.results.onDidFail, `${what} to fail`).then((f) => {
    throw new Error(`the results panel failed: ${f.message}`);
  });
  return Promise.race([nextEvent(api.context.results.onDidRender, what, predicate), failed]);
}

suite('Bias Transfer Auditor in a real VS Code', () => {
  let api: BiasAuditApi;

  suiteSetup(async () => {
    const extension = vscode.extensions.getExtension<BiasAuditApi>(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
    api = await extension.activate();
    console.log(`    VS Code ${vscode.version} (${vscode.env.appName}), extension host node ${process.version}, audit mode ${process.env.BIAS_AUDIT_INTEGRATION_AUDIT}`);
  });

  test('activates and registers every contributed command', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    assert.equal(extension.isActive, true);
    const contributed = (extension.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map((c) => c.command);
    assert.ok(contributed.length >= 9, 'package.json contributes too few commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((c) => !registered.has(c)), [], 'contributed but not registered');
  });

  test('the Runs view lists the fixture run with its status and headline figures', async () => {
    const runs = api.context.runs;
    const roots = await runs.getChildren();
    const fixture = roots.find((n) => n.kind === 'run' && n.run.runId === 'fixture-20251120-091403');
    assert.ok(fixture && fixture.kind === 'run', `fixture run not listed: ${JSON.stringify(roots)}`);
    assert.equal(fixture.run.state, 'done');
    const item = runs.getTreeItem(fixture);
    assert.match(String(item.description), /^done · 2025-11-20 09:14 · ASR child K=4/);
    const children = await runs.getChildren(fixture);
    assert.ok(children.some((c) => c.kind === 'step'), 'the run has no step children');
    assert.ok(children.some((c) => c.kind === 'figure'), 'the run has no headline figures');
  });

  test('the results panel opens and renders the run (tables, charts, stimulus images)', async () => {
    const runUri = workspaceUri('bias-audit-runs', 'run-fixture');
    const rendered = resultsShown(api, 'the results panel to render', (r) => r.runId === 'fixture-20251120-091403');
    await vscode.commands.executeCommand('biasAudit.openResults', runUri);
    const info = await rendered;
    // The fixture has every probe: lineage, 3 stimuli, 4 intervention/planted, 2 group and 3 association tables;
    // training loss + accuracy, transfer by depth, ASR, histogram, bias-vs-accuracy and association scatter charts.
    assert.equal(info.tables, 13);
    assert.equal(info.charts, 7);
    assert.equal(info.images, 10 + 1, 'every stimulus image and the trigger example should be shown');
    for (const heading of ['Strong stimuli', 'Interventions', 'Planted bias', 'Associations and Bias Transfer Score']) assert.ok(info.headings.includes(heading), `missing section ${heading}: ${info.headings.join(' | ')}`);
    await until(() => vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('biasAudit.results')), 'the results tab');
  });

  test('the compare panel shows two runs side by side', async () => {
    const runUri = workspaceUri('bias-audit-runs', 'run-fixture');
    const rendered = nextEvent(api.context.compare.onDidRender, 'the compare panel to render');
    await vscode.commands.executeCommand('biasAudit.compareRuns', runUri, runUri);
    const info = await rendered;
    assert.equal(info.tables, 2);
    assert.equal(info.charts, 4, 'each side shows transfer-by-depth and ASR charts');
  });

  let auditRunDir = '';

  test('Audit Bias Transfer on a checkpoint writes a config, starts the backend and completes the audit with progress', async () => {
    const modelUri = workspaceUri('checkpoints', 'foundation', 'model.json');
    const progress: ProgressUpdate[] = [];
    const sub = api.context.backend.onProgress((p) => progress.push(p));
    const outcome = await vscode.commands.executeCommand<JobOutcome | undefined>('biasAudit.auditModel', modelUri, ANSWERS);
    sub.dispose();
    assert.ok(outcome, 'the command returned no outcome');
    assert.equal(outcome.state, 'done', `audit ${outcome.state}: ${outcome.error?.message}`);
    assert.equal(api.context.backend.state, 'running');
    const config = JSON.parse(readFileSync(workspaceUri('checkpoints', 'foundation', 'foundation.biasaudit.json').fsPath, 'utf8')) as { children: { freezeDepths: number[] } };
    assert.deepEqual(config.children.freezeDepths, [0, 2]);
    assert.ok(progress.length > 0, 'no progress notification arrived');
    assert.ok(progress.some((p) => p.epoch !== null && p.loss !== null && p.etaSeconds !== null), 'progress lacks epoch/loss/ETA');
    assert.ok(outcome.runDir);
    auditRunDir = outcome.runDir;
    assert.equal(readStatus(outcome.runDir).state, 'done');
    assert.ok(api.context.jobs.curves.length > 0, 'no live training curve arrived');
  });

  test('Cancel stops a running audit between batches and the run resumes where it stopped', async () => {
    const configUri = await writeConfig('cancel.biasaudit.json');
    const started = nextEvent(api.context.backend.onProgress, 'the first training batch', (p) => p.phase === 'training' && p.stepIndex >= 1);
    const running = vscode.commands.executeCommand<JobOutcome | undefined>('biasAudit.runAudit', configUri);
    const firstProgress = await started;
    assert.equal(await vscode.commands.executeCommand('biasAudit.cancelAudit'), true);
    const outcome = await running;
    assert.equal(outcome?.state, 'cancelled');
    const runDir = firstProgress.runDir!;
    const status = readStatus(runDir);
    assert.equal(status.state, 'cancelled');
    assert.ok(status.stepsDone >= 1 && status.stepsDone < status.stepsTotal, `stepsDone ${status.stepsDone}/${status.stepsTotal}`);
    const resumedPhases: string[] = [];
    const sub = api.context.backend.onProgress((p) => resumedPhases.push(p.phase));
    const resumed = await vscode.commands.executeCommand<JobOutcome | undefined>('biasAudit.runAudit', configUri);
    sub.dispose();
    assert.equal(resumed?.state, 'done');
    assert.equal(resumedPhases.filter((p) => p === 'reused').length, status.stepsDone, 'finished steps were not reused');
  });

  test('a killed backend is reported, restarted within the budget, and the interrupted audit resumes', async () => {
    const configUri = await writeConfig('crash.biasaudit.json');
    const backend = api.context.backend;
    const started = nextEvent(backend.onProgress, 'a training batch', (p) => p.phase === 'training' && p.stepIndex >= 1);
    const running = vscode.commands.executeCommand<JobOutcome | undefined>('biasAudit.runAudit', configUri);
    await started;
    const oldPid = backend.pid!;
    const restarted = nextEvent(backend.onDidChangeState, 'the restarted backend', (s) => s.state === 'running');
    const crash = nextEvent(backend.onCrash, 'the crash report');
    process.kill(oldPid, 'SIGKILL');
    const report = await crash;
    assert.match(report.reason, /SIGKILL/);
    assert.equal(report.willRestart, true);
    const outcome = await running;
    assert.equal(outcome?.state, 'failed');
    assert.equal(outcome?.error?.code, 'BACKEND_CRASHED');
    await restarted;
    assert.notEqual(backend.pid, oldPid);
    assert.equal(processAlive(oldPid), false);
    const resumed = await vscode.commands.executeCommand<JobOutcome | undefined>('biasAudit.runAudit', configUri);
    assert.equal(resumed?.state, 'done');
  });

  test('the Bias Audit view shows the latest run live', async () => {
    const rendered = nextEvent(api.context.live.onDidRender, 'the Bias Audit view to render');
    await vscode.commands.executeCommand('biasAudit.live.focus');
    const info = await rendered;
    assert.equal(info.panel, 'live');
    assert.ok(info.runId, 'the live view shows no run');
  });

  test('the finished audit run opens in the results panel', async () => {
    assert.ok(auditRunDir, 'the audit test did not run');
    const rendered = resultsShown(api, 'the audit results to render', (r) => r.runDir === auditRunDir);
    await vscode.commands.executeCommand('biasAudit.openResults', vscode.Uri.file(auditRunDir));
    const info = await rendered;
    assert.ok(info.tables > 0 && info.charts > 0);
  });

  test('stopping the backend leaves no process behind; the next request starts it again', async () => {
    const backend = api.context.backend;
    await backend.ready();
    const pid = backend.pid!;
    await backend.stop();
    assert.equal(backend.state, 'stopped');
    assert.equal(processAlive(pid), false, `backend ${pid} still alive after stop()`);
    await backend.ready();
    assert.equal(backend.state, 'running');
    assert.notEqual(backend.pid, pid);
  });
});
