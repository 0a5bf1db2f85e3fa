/**
 * "Audit Bias Transfer" on a model.json without a config: a few quick picks (target data, freeze depths, seeds,
 * probes), then a `*.biasaudit.json` written beside the checkpoint. Tests pass the answers instead of clicking.
 */
import * as vscode from 'vscode';
import { buildAuditConfig, GUIDED_PROBES, parseIntegerList, type GuidedAnswers, type GuidedProbe } from './auditConfigTemplate';
import { readSettings } from './settings';

const FASHION_MNIST_SPEC = 'fashion-mnist:/usr/share/datasets/fashion-mnist';

async function askTargetData(): Promise<string | undefined> {
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'Image folder…', detail: 'one sub-folder per class', id: 'folder' },
      { label: 'Fashion-MNIST', detail: `${FASHION_MNIST_SPEC} (Debian package dataset-fashion-mnist)`, id: 'fashion' },
      { label: 'Data SPEC…', detail: 'any data SPEC the engine reads', id: 'spec' },
    ],
    { title: 'Bias audit (1/4): target dataset the children are finetuned on', ignoreFocusOut: true },
  );
  if (!pick) return undefined;
  if (pick.id === 'fashion') return FASHION_MNIST_SPEC;
  if (pick.id === 'spec') return vscode.window.showInputBox({ title: 'Target data SPEC', ignoreFocusOut: true, validateInput: (v) => (v.trim() ? null : 'required') });
  const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'Target training images (one sub-folder per class)' });
  return folder?.[0]?.fsPath;
}

async function askIntegers(title: string, value: string): Promise<number[] | undefined> {
  const text = await vscode.window.showInputBox({
    title,
    value,
    ignoreFocusOut: true,
    validateInput: (v) => {
      try {
        parseIntegerList(v, 'value');
        return null;
      } catch (e) {
        return (e as Error).message;
      }
    },
  });
  return text === undefined ? undefined : parseIntegerList(text, title);
}

export async function askGuidedAnswers(): Promise<GuidedAnswers | undefined> {
  const settings = readSettings();
  const targetTrain = await askTargetData();
  if (!targetTrain) return undefined;
  const freezeDepths = await askIntegers('Bias audit (2/4): freeze depths (frozen blocks per child; 0 = full-network)', settings.defaultFreezeDepths.join(', '));
  if (!freezeDepths) return undefined;
  const seeds = await askIntegers('Bias audit (3/4): seeds (every child and the scratch baseline train once per seed)', settings.defaultSeeds.join(', '));
  if (!seeds) return undefined;
  const picked = await vscode.window.showQuickPick(
    GUIDED_PROBES.map((p) => ({ label: p.label, detail: p.detail, id: p.id, picked: p.id === 'strongStimuli' || p.id === 'interventions' })),
    { title: 'Bias audit (4/4): probes', canPickMany: true, ignoreFocusOut: true },
  );
  if (!picked || picked.length === 0) return undefined;
  return { targetTrain, targetTest: null, freezeDepths, seeds, probes: picked.map((p) => p.id as GuidedProbe) };
}

/** Writes `<model folder>/<folder name>.biasaudit.json` (asks before replacing one) and returns its URI. */
export async function writeGuidedConfig(modelUri: vscode.Uri, answers: GuidedAnswers, overwrite: boolean): Promise<vscode.Uri | undefined> {
  const folder = vscode.Uri.joinPath(modelUri, '..');
  const modelFile = modelUri.path.split('/').pop() ?? 'model.json';
  const name = folder.path.split('/').pop() || 'model';
  const configUri = vscode.Uri.joinPath(folder, `${name}.biasaudit.json`);
  let exists = true;
  try {
    await vscode.workspace.fs.stat(configUri);
  } catch {
    exists = false;
  }
  if (exists && !overwrite) {
    const answer = await vscode.window.showWarningMessage(`${vscode.workspace.asRelativePath(configUri)} exists. Replace it?`, { modal: true }, 'Replace', 'Run Existing');
    if (answer === 'Run Existing') return configUri;
    if (answer !== 'Replace') return undefined;
  }
  const text = `${JSON.stringify(buildAuditConfig(modelFile, answers), null, 2)}\n`;
  await vscode.workspace.fs.writeFile(configUri, new TextEncoder().encode(text));
  return configUri;
}
