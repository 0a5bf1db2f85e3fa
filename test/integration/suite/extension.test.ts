/**
 * The extension inside a real VS Code (code-server's extension host) against the REAL audit: the workspace
 * (test/integration/runner/harness.mjs `prepareWorkspace`) holds a tiny real foundation pretrained by the project's
 * CLI (checkpoints/foundation), the Fashion-MNIST sample (data/), the tiny audit config (audits/tiny.biasaudit.json)
 * and the committed fixture run (bias-audit-runs/run-fixture, every probe) for the panel tests that need sections a
 * tiny real run does not have. Every audit and probe here runs the real backend on the wasm compute backend.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { GetStatus, type JobOutcome, type ProgressUpdate } from '../../../src/protocol/backendProtocol';
import type { AuditResults } from '../../../src/protocol/results';
import type { RunStatus } from '../../../src/protocol/runStatus';
import { buildAuditConfig, DEFAULT_TRIGGER, type GuidedAnswers } from '../../../src/extension/auditConfigTemplate';
import type { BiasAuditApi } from '../../../src/extension/extension';
import { nextEvent } from './waitFor';

const EXTENSION_ID = 'bias-audit.bias-transfer-auditor';
const FIXTURE_RUN_ID = 'fixture-20251120-091403';
/** The sample, relative to checkpoints/foundation/ (where the guided flow writes its config). */
const SAMPLE_FROM_CHECKPOINT = '../../data/fashion-mnist';
/** What a user would answer in the guided flow, plus a small recipe so the real audit takes seconds. */
const GUIDED_ANSWERS: GuidedAnswers = {
  targetTrain: `idx:${SAMPLE_FROM_CHECKPOINT}/finetune-images-idx3-ubyte.gz,${SAMPLE_FROM_CHECKPOINT}/finetune-labels-idx1-ubyte.gz?classes=0-2&perClass=16`,
  targetTest: null,
  freezeDepths: [0, 2],
  seeds: [0],
  probes: ['strongStimuli', 'interventions'],
  overrides: { recipe: { epochs: 2, batchSize: 8, validationFraction: 0 }, probes: { strongStimuli: { steps: 16 }, interventions: { bootstrapResamples: 200 } } },
};

function workspaceUri(...parts: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace has no folder');
  return vscode.Uri.joinPath(folder.uri, ...parts);
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

const readStatus = (runDir: string) => readJson<RunStatus>(path.join(runDir, 'status.json'));
const readResults = (runDir: string) => readJson<AuditResults>(path.join(runDir, 'results.json'));

/** A copy of the tiny audit config under another name (so another run folder). */
async function tinyConfigCopy(name: string, patch: (config: Record<string, unknown>) => void = () => undefined): Promise<vscode.Uri> {
  const config = readJson<Record<string, unknown>>(workspaceUri('audits', 'tiny.biasaudit.json').fsPath);
  patch(config);
  const uri = workspaceUri('audits', `${name}.biasaudit.json`);
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

/** Runs an audit command and records the progress of its job. */
async function runWithProgress(api: BiasAuditApi, command: string, ...args: unknown[]): Promise<{ outcome: JobOutcome | undefined; progress: ProgressUpdate[] }> {
  const progress: ProgressUpdate[] = [];
  const sub = api.context.backend.onProgress((p) => progress.push(p));
  try {
    const outcome = await vscode.commands.executeCommand<JobOutcome | undefined>(command, ...args);
    return { outcome, progress: progress.filter((p) => p.jobId === outcome?.jobId) };
  } finally {
    sub.dispose();
  }
}

suite('Bias Transfer Auditor in a real VS Code, real audit', () => {
  let api: BiasAuditApi;

  suiteSetup(async () => {
    const extension = vscode.extensions.getExtension<BiasAuditApi>(EXTENSION_ID);
    assert.ok(extension, `extension ${EXTENSION_ID} is not loaded`);
    api = await extension.activate();
    assert.equal(vscode.workspace.isTrusted, true, 'this suite needs a trusted workspace');
    console.log(`    VS Code ${vscode.version} (${vscode.env.appName}), extension host node ${process.version}`);
  });

  test('activates and registers every contributed command', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    assert.equal(extension.isActive, true);
    const contributed = (extension.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map((c) => c.command);
    for (const id of ['biasAudit.auditModel', 'biasAudit.newAudit', 'biasAudit.runAudit', 'biasAudit.cancelAudit', 'biasAudit.openResults', 'biasAudit.compareRuns', 'biasAudit.restartBackend', 'biasAudit.selectComputeBackend', 'biasAudit.runProbe']) {
      assert.ok(contributed.includes(id), `${id} is not contributed`);
    }
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((c) => !registered.has(c)), [], 'contributed but not registered');
  });

  test('the Runs view lists the committed fixture run with its status and headline figures', async () => {
    const runs = api.context.runs;
    const roots = await runs.getChildren();
    const fixture = roots.find((n) => n.kind === 'run' && n.run.runId === FIXTURE_RUN_ID);
    assert.ok(fixture && fixture.kind === 'run', `fixture run not listed: ${JSON.stringify(roots)}`);
    assert.equal(fixture.run.state, 'done');
    assert.match(String(runs.getTreeItem(fixture).description), /^done · 2025-11-20 09:14 · ASR child K=4/);
    const children = await runs.getChildren(fixture);
    assert.ok(children.some((c) => c.kind === 'step'), 'the run has no step children');
    assert.ok(children.some((c) => c.kind === 'figure'), 'the run has no headline figures');
  });

  test('the results panel renders every probe section of the committed fixture run (tables, charts, stimulus images)', async () => {
    const runUri = workspaceUri('bias-audit-runs', 'run-fixture');
    const rendered = resultsShown(api, 'the results panel to render', (r) => r.runId === FIXTURE_RUN_ID);
    await vscode.commands.executeCommand('biasAudit.openResults', runUri);
    const info = await rendered;
    // The fixture has every probe: lineage, 3 stimuli, 4 intervention/planted, 2 group and 3 association tables;
    // training loss + accuracy, transfer by depth, ASR, histogram, bias-vs-accuracy and association scatter charts.
    assert.equal(info.tables, 13);
    assert.equal(info.charts, 7);
    assert.equal(info.images, 10 + 1, 'every stimulus image and the trigger example should be shown');
    for (const heading of ['Strong stimuli', 'Interventions', 'Planted bias', 'Associations and Bias Transfer Score']) assert.ok(info.headings.includes(heading), `missing section ${heading}: ${info.headings.join(' | ')}`);
    const resultsTabOpen = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('biasAudit.results'));
    if (!resultsTabOpen()) await nextEvent(vscode.window.tabGroups.onDidChangeTabs, 'the results tab', resultsTabOpen);
  });

  test('the compare panel shows two runs side by side (committed fixture run)', async () => {
    const runUri = workspaceUri('bias-audit-runs', 'run-fixture');
    const rendered = nextEvent(api.context.compare.onDidRender, 'the compare panel to render');
    await vscode.commands.executeCommand('biasAudit.compareRuns', runUri, runUri);
    const info = await rendered;
    assert.equal(info.tables, 2);
    assert.equal(info.charts, 4, 'each side shows transfer-by-depth and ASR charts');
  });

  let auditRunDir = '';

  test('Audit Bias Transfer on the checkpoint writes a config the real loader accepts, starts the backend and completes the real audit with progress', async () => {
    const modelUri = workspaceUri('checkpoints', 'foundation', 'model.json');
    assert.equal(api.context.backend.state, 'stopped', 'nothing should have started the backend yet');
    const { outcome, progress } = await runWithProgress(api, 'biasAudit.auditModel', modelUri, GUIDED_ANSWERS);
    assert.ok(outcome, 'the command returned no outcome');
    assert.equal(outcome.state, 'done', `audit ${outcome.state}: ${outcome.error?.message}`);
    assert.equal(api.context.backend.state, 'running');
    const status = await (await api.context.backend.ready()).sendRequest(GetStatus.type);
    assert.equal(status.realAudit, true, 'the backend must run the real audit');
    assert.equal(status.computeBackend?.name, 'wasm', 'the workspace setting picks the wasm compute backend');

    const configPath = workspaceUri('checkpoints', 'foundation', 'foundation.biasaudit.json').fsPath;
    assert.deepEqual(readJson(configPath), buildAuditConfig('model.json', GUIDED_ANSWERS), 'the guided flow wrote another config');
    assert.ok(outcome.runDir);
    auditRunDir = outcome.runDir;
    assert.equal(path.dirname(auditRunDir), workspaceUri('bias-audit-runs').fsPath, 'runs go to the biasAudit.outputFolder setting');
    const results = readResults(auditRunDir);
    assert.equal(results.configPath, configPath);
    const { lineage } = results;
    assert.deepEqual([lineage.foundation, ...lineage.children, ...lineage.scratch].map((m) => m.id).sort(), ['child-k0-s0', 'child-k2-s0', 'foundation', 'scratch-s0']);
    assert.ok(results.probes.interventions, 'results.json has no interventions section');
    assert.equal(results.probes.strongStimuli?.stimuli.length, 3, 'one strong stimulus per foundation class');
    assert.equal(readStatus(auditRunDir).state, 'done');
    assert.ok(existsSync(path.join(auditRunDir, 'report.html')), 'no report.html');

    assert.ok(progress.length > 0, 'no progress notification arrived');
    assert.ok(progress.some((p) => p.phase === 'training' && p.epoch !== null && p.loss !== null && p.etaSeconds !== null), 'progress lacks epoch/loss/ETA while training');
    assert.ok(progress.every((p) => p.runDir === null || p.runDir === auditRunDir));
    assert.ok(api.context.jobs.curves.length > 0, 'no live training curve arrived');
  });

  test('the finished real run is listed in the Runs view and opens in the results panel', async () => {
    assert.ok(auditRunDir, 'the audit test did not run');
    const roots = await api.context.runs.getChildren();
    const listed = roots.find((n) => n.kind === 'run' && n.run.runDir === auditRunDir);
    assert.ok(listed && listed.kind === 'run', 'the real run is not in the Runs view');
    assert.equal(listed.run.state, 'done');
    assert.ok(listed.run.headline.length > 0, 'the real run has no headline figures');
    const rendered = resultsShown(api, 'the audit results to render', (r) => r.runDir === auditRunDir);
    await vscode.commands.executeCommand('biasAudit.openResults', vscode.Uri.file(auditRunDir));
    const info = await rendered;
    assert.equal(info.runId, readResults(auditRunDir).runId);
    for (const heading of ['Strong stimuli', 'Interventions']) assert.ok(info.headings.includes(heading), `no ${heading} section: ${info.headings.join(' | ')}`);
    // Lineage, label-mode / transfer-by-depth, per-model and transfer tables; loss and accuracy curves, transfer by
    // depth, ASR and histogram charts; 3 stimuli and the trigger example.
    assert.ok(info.tables >= 5, `only ${info.tables} tables`);
    assert.ok(info.charts >= 5, `only ${info.charts} charts`);
    assert.equal(info.images, 3 + 1, 'every stimulus image and the trigger example should load');
  });

  test('Cancel stops a running real audit between batches and running it again resumes where it stopped', async () => {
    const configUri = await tinyConfigCopy('cancel');
    const started = nextEvent(api.context.backend.onProgress, 'a training batch after the first step', (p) => p.phase === 'training' && p.stepIndex >= 1);
    const running = vscode.commands.executeCommand<JobOutcome | undefined>('biasAudit.runAudit', configUri);
    const firstProgress = await started;
    assert.equal(await vscode.commands.executeCommand('biasAudit.cancelAudit'), true);
    const outcome = await running;
    assert.equal(outcome?.state, 'cancelled', `expected cancelled, got ${outcome?.state}: ${outcome?.error?.message}`);
    const runDir = firstProgress.runDir!;
    const status = readStatus(runDir);
    assert.equal(status.state, 'cancelled');
    assert.equal(status.pid, null);
    assert.ok(status.stepsDone >= 1 && status.stepsDone < status.stepsTotal, `stepsDone ${status.stepsDone}/${status.stepsTotal}`);
    assert.equal(existsSync(path.join(runDir, 'results.json')), false, 'a cancelled run must not have results.json');

    const resumed = await runWithProgress(api, 'biasAudit.runAudit', configUri);
    assert.equal(resumed.outcome?.state, 'done', resumed.outcome?.error?.message);
    const reused = resumed.progress.filter((p) => p.phase === 'reused').length;
    assert.equal(reused, status.stepsDone, 'the steps finished before the cancel were not reused');
    assert.equal(readStatus(runDir).state, 'done');
  });

  test('a killed backend is reported, restarted within the budget, and the interrupted real audit resumes', async () => {
    const configUri = await tinyConfigCopy('crash');
    const backend = api.context.backend;
    const started = nextEvent(backend.onProgress, 'a training batch after the first step', (p) => p.phase === 'training' && p.stepIndex >= 1);
    const running = vscode.commands.executeCommand<JobOutcome | undefined>('biasAudit.runAudit', configUri);
    const progress = await started;
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
    const interrupted = readStatus(progress.runDir!);
    assert.equal(interrupted.state, 'running', 'a killed run stays "running" with its dead pid');
    assert.equal(interrupted.pid, oldPid);

    const resumed = await runWithProgress(api, 'biasAudit.runAudit', configUri);
    assert.equal(resumed.outcome?.state, 'done', resumed.outcome?.error?.message);
    // status.json is written right after a step's record, so a kill between the two leaves one more step reusable.
    const reused = resumed.progress.filter((p) => p.phase === 'reused').length;
    assert.ok(interrupted.stepsDone >= 1, 'the kill came after the first step');
    assert.ok(reused >= interrupted.stepsDone && reused <= interrupted.stepsDone + 1, `${reused} steps reused, ${interrupted.stepsDone} were done before the crash`);
  });

  test('a config with a bad foundation fails with the file and the problem named; the backend keeps running', async () => {
    const configUri = await tinyConfigCopy('bad', (c) => (c.foundation = '../checkpoints/missing/model.json'));
    const pid = api.context.backend.pid;
    const outcome = await vscode.commands.executeCommand<JobOutcome | undefined>('biasAudit.runAudit', configUri);
    assert.equal(outcome?.state, 'failed');
    assert.equal(outcome?.error?.file, configUri.fsPath);
    assert.match(outcome?.error?.message ?? '', /foundation/);
    assert.equal(api.context.backend.state, 'running');
    assert.equal(api.context.backend.pid, pid);
    assert.equal(existsSync(workspaceUri('bias-audit-runs', 'bad').fsPath), false, 'a config that fails its checks must not create a run folder');
  });

  test('Run Single Probe: asr on the checkpoint measures the real attack success rate', async () => {
    const modelUri = workspaceUri('checkpoints', 'foundation', 'model.json');
    const data = workspaceUri('data', 'fashion-mnist').fsPath;
    const dataSpec = `idx:${data}/test-images-idx3-ubyte.gz,${data}/test-labels-idx1-ubyte.gz?classes=0-2&perClass=10`;
    const { outcome, progress } = await runWithProgress(api, 'biasAudit.runProbe', modelUri, { probe: 'asr', dataSpec, trigger: DEFAULT_TRIGGER, targetClass: 0, params: { bootstrapResamples: 100 } });
    assert.equal(outcome?.state, 'done', outcome?.error?.message);
    const r = outcome.probeResult as { probe: string; testImages: number; asr: number; asrDenominator: number; cleanAccuracy: number; targetClass: number; histogram: { clean: number[]; triggered: number[] }; backend: { name: string } };
    assert.equal(r.probe, 'asr');
    assert.equal(r.testImages, 30);
    assert.equal(r.targetClass, 0);
    assert.equal(r.histogram.clean.reduce((a, b) => a + b, 0), 30);
    assert.equal(r.histogram.triggered.reduce((a, b) => a + b, 0), 30);
    assert.equal(r.asrDenominator, Math.round(r.cleanAccuracy * 30), 'the ASR denominator is the correctly classified images');
    assert.ok(r.asr >= 0 && r.asr <= 1);
    assert.equal(r.backend.name, 'wasm');
    assert.ok(progress.some((p) => p.batch !== null), 'no progress arrived');
  });

  test('Run Single Probe: stimuli on the checkpoint writes one real stimulus PNG per class and stimuli.json', async () => {
    const modelUri = workspaceUri('checkpoints', 'foundation', 'model.json');
    const outDir = workspaceUri('stimuli-foundation').fsPath;
    const { outcome } = await runWithProgress(api, 'biasAudit.runProbe', modelUri, { probe: 'stimuli', outDir, params: { steps: 8 } });
    assert.equal(outcome?.state, 'done', outcome?.error?.message);
    const r = outcome.probeResult as { stimuli: { image: string; foundationClass: number }[]; foundationClassNames: string[] };
    assert.equal(r.stimuli.length, 3);
    assert.deepEqual(r.stimuli.map((s) => s.foundationClass), [0, 1, 2]);
    assert.deepEqual(readdirSync(outDir).filter((f) => f.endsWith('.png')).sort(), r.stimuli.map((s) => s.image).sort());
    assert.deepEqual(readJson<{ stimuli: unknown[] }>(path.join(outDir, 'stimuli.json')).stimuli, r.stimuli);
  });

  test('Run Single Probe without test data fails with the missing field named', async () => {
    const modelUri = workspaceUri('checkpoints', 'foundation', 'model.json');
    const outcome = await vscode.commands.executeCommand<JobOutcome | undefined>('biasAudit.runProbe', modelUri, { probe: 'asr', trigger: DEFAULT_TRIGGER });
    assert.equal(outcome?.state, 'failed');
    assert.equal(outcome?.error?.file, 'dataSpec');
    assert.equal(outcome?.error?.code, 'BAD_REQUEST');
  });

  test('the Bias Audit view shows the latest run live', async () => {
    const rendered = nextEvent(api.context.live.onDidRender, 'the Bias Audit view to render');
    await vscode.commands.executeCommand('biasAudit.live.focus');
    const info = await rendered;
    assert.equal(info.panel, 'live');
    assert.ok(info.runId, 'the live view shows no run');
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
