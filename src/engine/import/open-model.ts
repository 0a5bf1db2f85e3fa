import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../model/load';
import type { LoadedModel } from '../model/meta';
import { checkpointFormatOf, type ImportOptions, type ImportReport, importCheckpointCached } from './import-checkpoint';
import { registerImportLayers } from './onnx-layers';

/** A model opened from any supported checkpoint, with the import report when it was a foreign format. */
export interface OpenedModel extends LoadedModel {
  imported?: { report: ImportReport; fromCache: boolean; dir: string };
}

/** Where imported checkpoints are cached when the caller gives no folder: `$XDG_CACHE_HOME/bias-audit/imports`. */
export function defaultImportCache(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'bias-audit', 'imports');
}

/**
 * Opens any checkpoint the auditor understands: a TF.js `model.json` (or its folder) is loaded as it is;
 * PyTorch `.pt`/`.pth`/`.bin`, `.safetensors` and `.onnx` are imported once and saved in the engine's own
 * format under `cacheDir`, keyed by the file's content and `importOptions`, so later runs skip the import.
 */
export async function openModel(path: string, options: { importOptions?: ImportOptions; cacheDir?: string } = {}): Promise<OpenedModel> {
  if (checkpointFormatOf(path) !== undefined) {
    const { loaded, report, fromCache, dir } = await importCheckpointCached(path, options.importOptions ?? {}, options.cacheDir ?? defaultImportCache());
    return { ...loaded, imported: { report, fromCache, dir } };
  }
  // A model saved from an ONNX import uses the importer's custom layers.
  registerImportLayers();
  return loadModel(path);
}
