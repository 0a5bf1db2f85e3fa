/** Every command of the extension. Running anything (audits, probes, the backend) needs a trusted workspace; viewing results does not. */
import * as vscode from 'vscode';
import { COMPUTE_BACKEND_CHOICES, type JobOutcome } from '../protocol/backendProtocol';
import type { RunSummary } from '../protocol/runStatus';
import type { AuditContext } from './auditContext';
import type { GuidedAnswers } from './auditConfigTemplate';
import type { ProbeJobRequest } from './auditJobs';
import { askGuidedAnswers, writeGuidedConfig } from './guidedAuditFlow';
import { summarizeProbeResult } from './probeSummary';
import { askProbeRequest } from './singleProbeFlow';
import { listRuns } from './runFolderReader';
import { outputFolderUri, SETTINGS_SECTION } from './settings';

/** Every checkpoint format the audit opens (model.json, PyTorch, safetensors, ONNX). */
const CHECKPOINT_GLOB = '**/{model.json,*.pt,*.pth,*.safetensors,*.onnx}';

/** The trust gate of everything that runs code: models and data are only loaded in a trusted workspace. */
function requireTrust(): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage('Bias audits do not run in an untrusted workspace (they load models and run code on your data). Results can still be viewed.', 'Manage Workspace Trust').then((a) => a && vscode.commands.executeCommand('workbench.trust.manage'));
  return false;
}

async function pickFile(glob: string, title: string): Promise<vscode.Uri | undefined> {
  const files = await vscode.workspace.findFiles(glob, '**/node_modules/**', 200);
  if (files.length === 0) {
    void vscode.window.showInformationMessage(`No ${glob} in the workspace.`);
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(files.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })), { title });
  return pick?.uri;
}

async function pickRun(title: string, withResults: boolean): Promise<RunSummary | undefined> {
  const folder = outputFolderUri();
  const runs = folder ? (await listRuns(folder)).filter((r) => !withResults || r.hasResults) : [];
  if (runs.length === 0) {
    void vscode.window.showInformationMessage(`No finished audit runs in ${folder?.fsPath ?? 'the workspace'}.`);
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(runs.map((run) => ({ label: run.runId, description: `${run.state} · ${run.startedAt ?? ''}`, detail: run.headline.map((h) => `${h.label}: ${h.value}`).join(' · '), run })), { title });
  return pick?.run;
}

export function registerCommands(ctx: AuditContext): void {
  const runAudit = async (configUri?: vscode.Uri): Promise<JobOutcome | undefined> => {
    if (!requireTrust()) return undefined;
    const active = vscode.window.activeTextEditor?.document.uri;
    const uri = configUri ?? (active?.path.endsWith('.biasaudit.json') ? active : await pickFile('**/*.biasaudit.json', 'Run which audit config?'));
    if (!uri) return undefined;
    try {
      return await ctx.jobs.start(uri);
    } catch (e) {
      void vscode.window.showErrorMessage(`Bias audit could not start: ${(e as Error).message}`, 'Show Log').then((a) => a && ctx.output.show());
      return undefined;
    }
  };

  /** Explorer "Audit Bias Transfer" on a checkpoint; `answers` skip the quick picks (tests, scripted use). */
  const auditModel = async (modelUri?: vscode.Uri, answers?: GuidedAnswers): Promise<JobOutcome | undefined> => {
    if (!requireTrust()) return undefined;
    const model = modelUri ?? (await pickFile(CHECKPOINT_GLOB, 'Audit which foundation checkpoint?'));
    if (!model) return undefined;
    const chosen = answers ?? (await askGuidedAnswers());
    if (!chosen) return undefined;
    const configUri = await writeGuidedConfig(model, chosen, answers !== undefined);
    if (!configUri) return undefined;
    if (answers === undefined) await vscode.window.showTextDocument(configUri, { preview: true, preserveFocus: true });
    return runAudit(configUri);
  };

  /** "Run Single Probe" on a checkpoint; `request` skips the quick picks (tests, scripted use). */
  const runProbe = async (modelUri?: vscode.Uri, request?: Partial<ProbeJobRequest> & Pick<ProbeJobRequest, 'probe'>): Promise<JobOutcome | undefined> => {
    if (!requireTrust()) return undefined;
    const model = modelUri ?? (await pickFile(CHECKPOINT_GLOB, 'Run a probe on which model?'));
    if (!model) return undefined;
    const chosen: ProbeJobRequest | undefined = request
      ? { modelPath: model.fsPath, dataSpec: null, trigger: null, targetClass: null, outDir: null, params: null, ...request }
      : await askProbeRequest(model);
    if (!chosen) return undefined;
    let outcome: JobOutcome;
    try {
      outcome = await ctx.jobs.startProbe(chosen);
    } catch (e) {
      void vscode.window.showErrorMessage(`Bias audit probe could not start: ${(e as Error).message}`, 'Show Log').then((a) => a && ctx.output.show());
      return undefined;
    }
    if (outcome.state === 'done') {
      const summary = summarizeProbeResult(outcome.probeResult);
      ctx.output.appendLine(`${chosen.probe} on ${chosen.modelPath}: ${summary}\n${JSON.stringify(outcome.probeResult, null, 2)}`);
      const open = chosen.probe === 'stimuli' && chosen.outDir ? 'Open stimuli.json' : 'Show Log';
      void vscode.window.showInformationMessage(summary, open).then((a) => {
        if (a === 'Show Log') ctx.output.show();
        else if (a && chosen.outDir) void vscode.window.showTextDocument(vscode.Uri.joinPath(vscode.Uri.file(chosen.outDir), 'stimuli.json'));
      });
    } else if (outcome.state === 'failed') {
      void vscode.window.showErrorMessage(`Bias audit probe failed: ${outcome.error?.message ?? 'unknown error'}`, 'Show Log').then((a) => a && ctx.output.show());
    }
    return outcome;
  };

  ctx.registerCommand('biasAudit.auditModel', auditModel);
  ctx.registerCommand('biasAudit.runProbe', runProbe);
  ctx.registerCommand('biasAudit.newAudit', () => auditModel());
  ctx.registerCommand('biasAudit.runAudit', runAudit);
  ctx.registerCommand('biasAudit.cancelAudit', async () => {
    if (!ctx.jobs.running) {
      void vscode.window.showInformationMessage('No bias audit is running.');
      return false;
    }
    return ctx.jobs.cancel();
  });
  ctx.registerCommand('biasAudit.openResults', async (runUri?: vscode.Uri) => {
    const uri = runUri ?? (await pickRun('Open the results of which run?', true).then((r) => (r ? vscode.Uri.file(r.runDir) : undefined)));
    return uri ? ctx.results.open(uri) : undefined;
  });
  ctx.registerCommand('biasAudit.compareRuns', async (left?: vscode.Uri, right?: vscode.Uri) => {
    const l = left ?? (await pickRun('Compare: first run', true).then((r) => (r ? vscode.Uri.file(r.runDir) : undefined)));
    if (!l) return undefined;
    const r = right ?? (await pickRun('Compare: second run (the same run compares two of its children)', true).then((x) => (x ? vscode.Uri.file(x.runDir) : undefined)));
    return r ? ctx.compare.show(l, r) : undefined;
  });
  ctx.registerCommand('biasAudit.restartBackend', async () => {
    if (!requireTrust()) return;
    if (ctx.jobs.running && (await vscode.window.showWarningMessage('An audit is running. Restarting cancels it (it can be resumed).', { modal: true }, 'Restart')) !== 'Restart') return;
    try {
      await ctx.backend.restart();
    } catch (e) {
      void vscode.window.showErrorMessage(`The bias audit backend did not start: ${(e as Error).message}`, 'Show Log').then((a) => a && ctx.output.show());
    }
  });
  ctx.registerCommand('biasAudit.selectComputeBackend', async (choice?: string) => {
    const picked = choice ?? (await vscode.window.showQuickPick([...COMPUTE_BACKEND_CHOICES], { title: 'Compute backend for audits' }));
    if (!picked) return;
    await vscode.workspace.getConfiguration(SETTINGS_SECTION).update('computeBackend', picked, vscode.ConfigurationTarget.Global);
    // A running backend keeps its tensors' backend; the next job's StartAudit carries the new choice.
    void vscode.window.showInformationMessage(`Bias audit compute backend: ${picked} (applies to the next audit).`);
  });
  ctx.registerCommand('biasAudit.showLog', () => ctx.output.show());
  ctx.registerCommand('biasAudit.refreshRuns', () => ctx.runs.refresh());
  ctx.registerCommand('biasAudit.showRuns', () => vscode.commands.executeCommand('biasAudit.runs.focus'));
}
