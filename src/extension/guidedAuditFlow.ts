/**
 * "Audit Bias Transfer" on a checkpoint (model.json, .pt, .pth, .safetensors, .onnx) without a config: a few quick
 * picks (target data, freeze depths, seeds, probes), then a `*.biasaudit.json` written beside the checkpoint. Tests
 * pass the answers instead of clicking.
 */
import * as vscode from 'vscode';
import { buildAuditConfig, FASHION_MNIST_DIR, FASHION_MNIST_TARGET, GUIDED_PROBES, guidedConfigFileName, parseIntegerList, type GuidedAnswers, type GuidedProbe } from './auditConfigTemplate';
import { readSettings } from './settings';

/** Target training data and, when the source has one, its test split (null: the audit holds out part of train). */
async function askTargetData(): Promise<{ train: string; test: string | null } | undefined> {
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'Image folder…', detail: 'one sub-folder per class (a stratified 20% is held out as the test set)', id: 'folder' },
      { label: 'Fashion-MNIST', detail: `${FASHION_MNIST_DIR} (Debian package dataset-fashion-mnist): train and t10k`, id: 'fashion' },
      { label: 'Data SPEC…', detail: 'any data SPEC the engine reads: a folder, a .csv/.jsonl manifest, idx:IMAGES,LABELS', id: 'spec' },
    ],
    { title: 'Bias audit (1/4): target dataset the children are finetuned on', ignoreFocusOut: true },
  );
  if (!pick) return undefined;
  if (pick.id === 'fashion') return { ...FASHION_MNIST_TARGET };
  if (pick.id === 'spec') {
    const spec = await vscode.window.showInputBox({ title: 'Target data SPEC', ignoreFocusOut: true, validateInput: (v) => (v.trim() ? null : 'required') });
    return spec === undefined ? undefined : { train: spec.trim(), test: null };
  }
  const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'Target training images (one sub-folder per class)' });
  return folder?.[0] ? { train: folder[0].fsPath, test: null } : undefined;
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
  const target = await askTargetData();
  if (!target) return undefined;
  const freezeDepths = await askIntegers('Bias audit (2/4): freeze depths (frozen blocks per child; 0 = full-network)', settings.defaultFreezeDepths.join(', '));
  if (!freezeDepths) return undefined;
  const seeds = await askIntegers('Bias audit (3/4): seeds (every child and the scratch baseline train once per seed)', settings.defaultSeeds.join(', '));
  if (!seeds) return undefined;
  const picked = await vscode.window.showQuickPick(
    GUIDED_PROBES.map((p) => ({ label: p.label, detail: p.detail, id: p.id, picked: p.id === 'strongStimuli' || p.id === 'interventions' })),
    { title: 'Bias audit (4/4): probes', canPickMany: true, ignoreFocusOut: true },
  );
  if (!picked || picked.length === 0) return undefined;
  return { targetTrain: target.train, targetTest: target.test, freezeDepths, seeds, probes: picked.map((p) => p.id as GuidedProbe) };
}

/** Writes the config beside the checkpoint (`guidedConfigFileName`; asks before replacing one) and returns its URI. */
export async function writeGuidedConfig(modelUri: vscode.Uri, answers: GuidedAnswers, overwrite: boolean): Promise<vscode.Uri | undefined> {
  const folder = vscode.Uri.joinPath(modelUri, '..');
  const modelFile = modelUri.path.split('/').pop() ?? 'model.json';
  const configUri = vscode.Uri.joinPath(folder, guidedConfigFileName(modelFile, folder.path.split('/').pop() ?? ''));
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
