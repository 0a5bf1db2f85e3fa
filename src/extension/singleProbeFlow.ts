/**
 * "Run Single Probe" on a checkpoint: quick picks for the probe and its inputs (asr: test data, trigger, target
 * class; stimuli: output folder). Tests and scripts pass the request instead of clicking.
 */
import * as vscode from 'vscode';
import type { ProbeKind } from '../protocol/backendProtocol';
import type { ProbeJobRequest } from './auditJobs';
import { DEFAULT_TRIGGER } from './auditConfigTemplate';
import { outputFolderUri } from './settings';

async function askAsr(modelPath: string): Promise<ProbeJobRequest | undefined> {
  const dataSpec = await vscode.window.showInputBox({
    title: 'ASR (1/3): labelled test data SPEC (its classes must be the model\'s, in order)',
    placeHolder: 'a folder, a .csv/.jsonl manifest, or idx:IMAGES,LABELS',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? null : 'required'),
  });
  if (dataSpec === undefined) return undefined;
  const trigger = await vscode.window.showInputBox({ title: 'ASR (2/3): trigger overlay', value: DEFAULT_TRIGGER, ignoreFocusOut: true, validateInput: (v) => (v.trim() ? null : 'required') });
  if (trigger === undefined) return undefined;
  const target = await vscode.window.showInputBox({
    title: 'ASR (3/3): target class index for the targeted ASR (empty: none)',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === '' || /^\d+$/.test(v.trim()) ? null : 'a class index (0, 1, ...) or empty'),
  });
  if (target === undefined) return undefined;
  return { probe: 'asr', modelPath, dataSpec: dataSpec.trim(), trigger: trigger.trim(), targetClass: target.trim() === '' ? null : Number(target.trim()), outDir: null, params: null };
}

async function askStimuli(modelUri: vscode.Uri): Promise<ProbeJobRequest | undefined> {
  const stem = modelUri.path.split('/').pop()?.toLowerCase() === 'model.json' ? vscode.Uri.joinPath(modelUri, '..').path.split('/').pop() : modelUri.path.split('/').pop()?.replace(/\.[^.]+$/, '');
  const base = outputFolderUri() ?? vscode.Uri.joinPath(modelUri, '..');
  const proposed = vscode.Uri.joinPath(base, `stimuli-${stem ?? 'model'}`).fsPath;
  const outDir = await vscode.window.showInputBox({ title: 'Strong stimuli: folder for the stimulus PNGs and stimuli.json', value: proposed, ignoreFocusOut: true, validateInput: (v) => (v.trim() ? null : 'required') });
  if (outDir === undefined) return undefined;
  return { probe: 'stimuli', modelPath: modelUri.fsPath, dataSpec: null, trigger: null, targetClass: null, outDir: outDir.trim(), params: null };
}

export async function askProbeRequest(modelUri: vscode.Uri): Promise<ProbeJobRequest | undefined> {
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'Attack success rate (asr)', detail: 'overlay a trigger on labelled test images: ASR, targeted ASR, prediction skew', probe: 'asr' as ProbeKind },
      { label: 'Strong stimuli (stimuli)', detail: 'optimise one stereotypical image per class of this model and save them as PNGs', probe: 'stimuli' as ProbeKind },
    ],
    { title: `Run which probe on ${vscode.workspace.asRelativePath(modelUri)}?`, ignoreFocusOut: true },
  );
  if (!pick) return undefined;
  return pick.probe === 'asr' ? askAsr(modelUri.fsPath) : askStimuli(modelUri);
}
