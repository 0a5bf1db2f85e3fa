import type * as tfl from '@tensorflow/tfjs-layers';
import { readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Normalization } from '../data/normalization';
import { asFoundation } from '../model/foundation';
import { loadModel } from '../model/load';
import type { LoadedModel } from '../model/meta';
import { saveModel } from '../model/save';
import { AuditError } from '../util/errors';
import { hashJson, sha256 } from '../util/hash';
import { onnxToRgb, stateDictToRgb } from './channel-order';
import type { StateDict } from './checkpoint-tensor';
import { convertOnnxModel } from './onnx-convert';
import { registerImportLayers } from './onnx-layers';
import { readOnnxModel } from './onnx-model';
import { type ChannelOrder, type NormalizationPreset, resolveNormalization } from './preprocessing';
import { readSafetensors } from './safetensors';
import { extractStateDict, stripWrapperPrefixes } from './state-dict';
import { readTorchCheckpoint } from './torch-checkpoint';
import { buildTorchvisionResNet, TORCHVISION_RESNET_BLOCKS } from './torchvision-resnet-build';
import { recognizeTorchResNet } from './torchvision-resnet-spec';

/**
 * One entry point for foreign checkpoints: PyTorch (`.pt`, `.pth`, `.bin`), safetensors and ONNX become a
 * trainable TF.js LayersModel with its ModelMeta (classes, input shape, normalisation, block prefixes),
 * i.e. a foundation `LoadedModel` that every probe, finetuning and input gradient takes.
 */

export type CheckpointFormat = 'pytorch' | 'safetensors' | 'onnx';

const EXTENSIONS: Record<string, CheckpointFormat> = { '.pt': 'pytorch', '.pth': 'pytorch', '.bin': 'pytorch', '.safetensors': 'safetensors', '.onnx': 'onnx' };

/** What the user knows about the checkpoint; everything is optional. */
export interface ImportOptions {
  /** [height, width, channels] the model takes. Default: the ONNX graph's fixed input, else [224, 224, channels of the stem]. */
  inputShape?: [number, number, number];
  /** Channel order the checkpoint was trained on (default `rgb`). BGR checkpoints are converted to take RGB. */
  channelOrder?: ChannelOrder;
  /** Pixel normalisation (mean/std in the checkpoint's channel order) or a preset; default torchvision's ImageNet one. */
  normalization?: Normalization | NormalizationPreset;
  /** Class names, one per output; default `class 0`, `class 1`, ... */
  classNames?: string[];
  /** Overrides the format the file extension implies. */
  format?: CheckpointFormat;
}

/** How the checkpoint was read: recorded in the meta (`lineage.recipe.import`) and shown to the user. */
export interface ImportReport {
  file: string;
  format: CheckpointFormat;
  sha256: string;
  architecture: string;
  /** Where the state dict was found inside a PyTorch checkpoint (`(top level)`, `state_dict`, ...). */
  stateDictFoundAt?: string;
  /** Number of weights (trainable and BatchNorm statistics). */
  parameterCount: number;
  inputShape: [number, number, number];
  /** The checkpoint's channel order; the imported model always takes RGB. */
  channelOrder: ChannelOrder;
  normalizationSource: string;
  classNamesSource: 'given' | 'indices';
}

/** An imported foundation model, with how it was imported. */
export interface ImportedModel extends LoadedModel {
  report: ImportReport;
}

/** The format a path's extension implies, or undefined when it is not an importable checkpoint. */
export function checkpointFormatOf(path: string): CheckpointFormat | undefined {
  return EXTENSIONS[extname(path).toLowerCase()];
}

/**
 * Imports a PyTorch, safetensors or ONNX checkpoint. Every problem with the file is an `AuditError`
 * naming it: unsupported format, forbidden pickle content, unknown architecture, unsupported operator.
 *
 * @example
 * const imported = await importCheckpoint('resnet18.pth', { classNames, normalization: 'torchvision-imagenet' });
 * await saveImportedModel(imported, 'models/resnet18'); // later runs: loadModel('models/resnet18')
 */
export async function importCheckpoint(path: string, options: ImportOptions = {}): Promise<ImportedModel> {
  registerImportLayers();
  const format = options.format ?? checkpointFormatOf(path);
  if (!format) {
    throw new AuditError(`is not an importable checkpoint: expected one of ${Object.keys(EXTENSIONS).join(', ')}`, { file: path, code: 'BAD_CHECKPOINT' });
  }
  const bytes = await readCheckpoint(path);
  const channelOrder = options.channelOrder ?? 'rgb';
  if (channelOrder !== 'rgb' && channelOrder !== 'bgr') throw new AuditError(`channel order must be rgb or bgr, got ${String(channelOrder)}`, { code: 'BAD_OPTIONS' });
  const built = format === 'onnx' ? importOnnx(bytes, path, options, channelOrder) : importStateDict(bytes, path, format, options, channelOrder);
  try {
    const channels = built.inputShape[2];
    const { normalization, source } = resolveNormalization(options.normalization, channels, channelOrder);
    const numClasses = built.model.outputs[0].shape[1] as number;
    const classNames = options.classNames ?? Array.from({ length: numClasses }, (_, i) => `class ${i}`);
    if (classNames.length !== numClasses) {
      throw new AuditError(`${classNames.length} class names were given but the checkpoint's classifier has ${numClasses} outputs`, { file: path, code: 'BAD_CLASSES' });
    }
    const report: ImportReport = {
      file: path,
      format,
      sha256: sha256(bytes),
      architecture: built.architecture,
      ...(built.stateDictFoundAt ? { stateDictFoundAt: built.stateDictFoundAt } : {}),
      parameterCount: built.model.countParams(),
      inputShape: built.inputShape,
      channelOrder,
      normalizationSource: source,
      classNamesSource: options.classNames ? 'given' : 'indices',
    };
    const loaded = asFoundation(built.model, {
      classNames,
      normalization,
      architecture: built.architecture,
      ...(built.blockPrefixes ? { blockPrefixes: built.blockPrefixes } : {}),
      seed: 0,
      recipe: { import: { ...report } },
    });
    return { ...loaded, path, report };
  } catch (e) {
    built.model.dispose();
    throw e;
  }
}

/** Saves an imported model in the engine's own format (model.json + weights.bin + classes.txt), atomically. */
export async function saveImportedModel(imported: LoadedModel, dir: string): Promise<void> {
  await saveModel(imported, dir);
}

/**
 * Imports `path` once and keeps the result under `cacheRoot`, keyed by the checkpoint's content and the
 * options: later calls load the saved TF.js model and skip the import. `fromCache` says which happened.
 */
export async function importCheckpointCached(
  path: string,
  options: ImportOptions,
  cacheRoot: string,
): Promise<{ loaded: LoadedModel; report: ImportReport; fromCache: boolean; dir: string }> {
  registerImportLayers();
  const bytes = await readCheckpoint(path);
  const key = hashJson({ checkpoint: sha256(bytes), options: { ...options, format: options.format ?? checkpointFormatOf(path) } }).slice(0, 24);
  const dir = join(cacheRoot, key);
  if (await exists(join(dir, 'model.json'))) {
    const loaded = await loadModel(dir);
    const stored = loaded.meta.lineage?.recipe?.import as ImportReport | undefined;
    if (stored) return { loaded, report: stored, fromCache: true, dir };
    loaded.model.dispose(); // not one of ours: import again over it
  }
  const imported = await importCheckpoint(path, options);
  await saveImportedModel(imported, dir);
  const { report, ...loaded } = imported;
  return { loaded, report, fromCache: false, dir };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readCheckpoint(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AuditError(code === 'ENOENT' ? 'checkpoint not found' : `cannot read checkpoint: ${code ?? String(e)}`, { file: path, code: 'ENOENT', cause: e });
  }
}

interface BuiltModel {
  model: tfl.LayersModel;
  architecture: string;
  inputShape: [number, number, number];
  blockPrefixes?: { name: string; prefixes: string[] }[];
  stateDictFoundAt?: string;
}

function importStateDict(bytes: Uint8Array, file: string, format: 'pytorch' | 'safetensors', options: ImportOptions, channelOrder: ChannelOrder): BuiltModel {
  let stateDict: StateDict;
  let foundAt: string | undefined;
  if (format === 'safetensors') stateDict = stripWrapperPrefixes(readSafetensors(bytes, file).tensors);
  else ({ stateDict, foundAt } = extractStateDict(readTorchCheckpoint(bytes, file), file));
  const spec = recognizeTorchResNet(new Map([...stateDict].map(([name, t]) => [name, t.shape])), file);
  const inputShape = options.inputShape ?? [224, 224, spec.inputChannels];
  if (channelOrder === 'bgr') stateDict = stateDictToRgb(stateDict, 'conv1.weight');
  const model = buildTorchvisionResNet(spec, stateDict, inputShape, file);
  return { model, architecture: spec.architecture, inputShape, blockPrefixes: TORCHVISION_RESNET_BLOCKS, ...(foundAt ? { stateDictFoundAt: foundAt } : {}) };
}

function importOnnx(bytes: Uint8Array, file: string, options: ImportOptions, channelOrder: ChannelOrder): BuiltModel {
  let onnx = readOnnxModel(bytes, file);
  if (channelOrder === 'bgr') onnx = onnxToRgb(onnx, file);
  const converted = convertOnnxModel(onnx, file, options.inputShape ? { inputShape: options.inputShape } : {});
  const architecture = `onnx:${onnx.graph.name || 'graph'}${onnx.producer ? ` (${onnx.producer})` : ''}`;
  return { model: converted.model, architecture, inputShape: converted.inputShape, ...(converted.blockPrefixes ? { blockPrefixes: converted.blockPrefixes } : {}) };
}
