import type { io } from '@tensorflow/tfjs-core';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AuditError } from '../util/errors';
import { normalizeKerasTopology } from './keras-topology';

/**
 * Reading a TF.js LayersModel checkpoint (`model.json` + weight shards) from disk with node:fs, validated
 * before tfjs sees it: every problem becomes an `AuditError` naming the file.
 */

/** A parsed, validated model.json and its weight bytes, ready for tfjs. */
export interface ModelFiles {
  /** Path of model.json as resolved from the path given. */
  modelJsonPath: string;
  /** Topology rewritten into the Keras 2 dialect tfjs reads, weight specs and bytes, user metadata. */
  artifacts: io.ModelArtifacts;
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
/** One group of a weights manifest: shard files and the weights they hold in order. */
type WeightsGroup = io.WeightsManifestConfig[number];

const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

/** `path` may name model.json itself or the directory that holds it. */
export async function resolveModelJsonPath(path: string): Promise<string> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    throw new AuditError('model not found (expected a model.json file or a directory holding one)', { file: path, code: 'ENOENT', cause: e });
  }
  if (!info.isDirectory()) return path;
  const candidate = join(path, 'model.json');
  try {
    await stat(candidate);
  } catch (e) {
    throw new AuditError('directory has no model.json', { file: path, code: 'ENOENT', cause: e });
  }
  return candidate;
}

/** Reads and validates model.json and its shards. */
export async function readModelFiles(path: string): Promise<ModelFiles> {
  const modelJsonPath = await resolveModelJsonPath(path);
  const json = await readJsonObject(modelJsonPath);
  if (json.format === 'graph-model' || (json.modelTopology !== undefined && isObject(json.modelTopology) && 'node' in json.modelTopology)) {
    throw new AuditError(
      'this is a TF.js graph model, which cannot be finetuned; convert the Keras model with tensorflowjs_converter --output_format tfjs_layers_model',
      { file: modelJsonPath, code: 'BAD_CHECKPOINT' },
    );
  }
  if (json.modelTopology === undefined || json.modelTopology === null) {
    throw new AuditError('has no modelTopology (not a TF.js LayersModel model.json)', { file: modelJsonPath, code: 'BAD_CHECKPOINT' });
  }
  const modelConfig = normalizeKerasTopology(json.modelTopology, modelJsonPath);
  const manifest = parseManifest(json.weightsManifest, modelJsonPath);
  const weightSpecs = manifest.flatMap((group) => group.weights);
  const weightData = await readShards(manifest, dirname(modelJsonPath), modelJsonPath);
  const userDefinedMetadata = isObject(json.userDefinedMetadata) ? (json.userDefinedMetadata as Record<string, object>) : undefined;
  // The training config (optimizer, loss) is dropped on purpose: we train with our own recipe, and a
  // Keras optimizer tfjs does not know would otherwise fail the load.
  const artifacts: io.ModelArtifacts = {
    modelTopology: modelConfig,
    weightSpecs,
    weightData,
    format: typeof json.format === 'string' ? json.format : undefined,
    generatedBy: typeof json.generatedBy === 'string' ? json.generatedBy : undefined,
    convertedBy: typeof json.convertedBy === 'string' ? json.convertedBy : null,
    userDefinedMetadata,
  };
  return { modelJsonPath, artifacts };
}

/** Reads a JSON file that must hold an object. */
export async function readJsonObject(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new AuditError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file, code: 'ENOENT', cause: e });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new AuditError(`is not valid JSON (${(e as Error).message})`, { file, code: 'BAD_CHECKPOINT', cause: e });
  }
  if (!isObject(value)) throw new AuditError('does not hold a JSON object', { file, code: 'BAD_CHECKPOINT' });
  return value;
}

function parseManifest(value: unknown, file: string): WeightsGroup[] {
  if (value === undefined) throw new AuditError('has no weightsManifest (weights missing)', { file, code: 'BAD_CHECKPOINT' });
  if (!Array.isArray(value)) throw new AuditError('weightsManifest is not a list', { file, code: 'BAD_CHECKPOINT' });
  return value.map((group, index) => {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights) || !group.paths.every((p) => typeof p === 'string')) {
      throw new AuditError(`weightsManifest[${index}] needs "paths" (strings) and "weights"`, { file, code: 'BAD_CHECKPOINT' });
    }
    for (const entry of group.weights as unknown[]) {
      if (!isObject(entry) || typeof entry.name !== 'string' || !Array.isArray(entry.shape) || !entry.shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw new AuditError(`weightsManifest[${index}] has a weight entry without a name or a valid shape`, { file, code: 'BAD_CHECKPOINT' });
      }
    }
    return group as unknown as WeightsGroup;
  });
}

/** Bytes one weight occupies in a shard. */
function weightBytes(entry: io.WeightsManifestEntry, file: string): number {
  const elements = entry.shape.reduce((a, b) => a * b, 1);
  const dtype = entry.quantization?.dtype ?? entry.dtype ?? 'float32';
  const size = entry.quantization ? QUANTIZED_BYTES[dtype] : BYTES_PER_ELEMENT[dtype];
  if (size === undefined) {
    throw new AuditError(`weight ${entry.name} has unsupported dtype ${dtype}`, { file, code: 'BAD_CHECKPOINT' });
  }
  return elements * size;
}

/**
 * Reads every shard; a group's shards are concatenated and must hold exactly the bytes its weights need
 * (tensorflowjs_converter splits one group into several shard files and records only the total).
 */
async function readShards(manifest: WeightsGroup[], dir: string, modelJsonPath: string): Promise<ArrayBuffer> {
  const buffers: Buffer[] = [];
  for (const group of manifest) {
    const expected = group.weights.reduce((sum, entry) => sum + weightBytes(entry, modelJsonPath), 0);
    const groupBuffers: Buffer[] = [];
    for (const shardPath of group.paths) {
      const file = join(dir, shardPath);
      try {
        groupBuffers.push(await readFile(file));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new AuditError(
          code === 'ENOENT' ? 'weight shard listed in model.json is missing' : `cannot read weight shard (${code ?? String(e)})`,
          { file, code: 'BAD_CHECKPOINT', cause: e },
        );
      }
    }
    const actual = groupBuffers.reduce((sum, b) => sum + b.length, 0);
    if (actual !== expected) {
      const files = group.paths.map((p) => join(dir, p));
      const shardFile = files.length === 1 ? files[0] : `${files[0]} (+${files.length - 1} more shards)`;
      throw new AuditError(
        `weight shard has ${actual} bytes but model.json's weightsManifest needs ${expected} bytes for ${group.weights.length} weights (truncated or mismatched file)`,
        { file: shardFile, code: 'BAD_CHECKPOINT' },
      );
    }
    buffers.push(...groupBuffers);
  }
  const all = Buffer.concat(buffers);
  return all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
