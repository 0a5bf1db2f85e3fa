import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDirAtomic } from '../util/atomic';
import { AuditError } from '../util/errors';
import { sha256 } from '../util/hash';

/**
 * Training checkpoints: every model weight (trainable or not, BatchNorm statistics included) and the
 * optimizer's slots, in one binary file with a JSON index, written as a whole directory atomically so a
 * killed process leaves either the previous checkpoint or the new one, never a mix.
 *
 * Model weights are matched by position in `model.weights` and checked by their original name and shape,
 * because tfjs uniquifies variable names per process (`conv1/kernel_3`), so names alone do not match
 * across processes.
 */
export interface CheckpointIndexEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

export interface CheckpointIndex<S> {
  format: 'bias-audit-train-checkpoint';
  version: 1;
  binSha256: string;
  weights: CheckpointIndexEntry[];
  slots: CheckpointIndexEntry[];
  state: S;
}

const INDEX = 'checkpoint.json';
const BIN = 'checkpoint.bin';

/** Stable per-weight key that survives a reload: the layer-scoped original name. */
function weightKey(w: tfl.LayerVariable): string {
  return w.originalName;
}

export async function saveCheckpoint<S>(
  dir: string,
  model: tfl.LayersModel,
  slots: { name: string; tensor: tf.Tensor }[],
  state: S,
): Promise<void> {
  const parts: Float32Array[] = [];
  let offset = 0;
  const describe = async (name: string, t: tf.Tensor): Promise<CheckpointIndexEntry> => {
    const data = (await t.data()) as Float32Array;
    parts.push(data);
    const entry = { name, shape: t.shape, offset, length: data.length };
    offset += data.length;
    return entry;
  };
  const weights: CheckpointIndexEntry[] = [];
  for (const w of model.weights) weights.push(await describe(weightKey(w), w.read()));
  const slotEntries: CheckpointIndexEntry[] = [];
  for (const s of slots) slotEntries.push(await describe(s.name, s.tensor));
  const bin = new Float32Array(offset);
  let at = 0;
  for (const p of parts) {
    bin.set(p, at);
    at += p.length;
  }
  const bytes = new Uint8Array(bin.buffer);
  const index: CheckpointIndex<S> = { format: 'bias-audit-train-checkpoint', version: 1, binSha256: sha256(bytes), weights, slots: slotEntries, state };
  await writeDirAtomic(dir, async (tmp) => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(tmp, BIN), bytes);
    await writeFile(join(tmp, INDEX), `${JSON.stringify(index, null, 1)}\n`);
  });
}

/** Reads a checkpoint's index only (cheap), or undefined when there is none. */
export async function readCheckpointState<S>(dir: string): Promise<S | undefined> {
  try {
    const index = JSON.parse(await readFile(join(dir, INDEX), 'utf8')) as CheckpointIndex<S>;
    return index.state;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AuditError(`unreadable training checkpoint: ${(e as Error).message}`, { file: join(dir, INDEX), code: 'BAD_CHECKPOINT' });
  }
}

/**
 * Loads a checkpoint into `model` (weights assigned in place) and returns the optimizer slots (caller owns
 * them) and the saved state. Refuses a checkpoint whose weights do not match the model.
 */
export async function loadCheckpoint<S>(dir: string, model: tfl.LayersModel): Promise<{ state: S; slots: Map<string, tf.Tensor> }> {
  const indexPath = join(dir, INDEX);
  const binPath = join(dir, BIN);
  let index: CheckpointIndex<S>;
  let bytes: Buffer;
  try {
    index = JSON.parse(await readFile(indexPath, 'utf8')) as CheckpointIndex<S>;
    bytes = await readFile(binPath);
  } catch (e) {
    throw new AuditError(`cannot read training checkpoint: ${(e as Error).message}`, { file: dir, code: 'BAD_CHECKPOINT' });
  }
  if (index.format !== 'bias-audit-train-checkpoint' || sha256(bytes) !== index.binSha256) {
    throw new AuditError('training checkpoint is corrupt (its data does not match its index); delete it to start over', { file: binPath, code: 'BAD_CHECKPOINT' });
  }
  const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const modelWeights = model.weights;
  if (modelWeights.length !== index.weights.length) {
    throw new AuditError(`training checkpoint has ${index.weights.length} weights but the model has ${modelWeights.length}`, { file: indexPath, code: 'BAD_CHECKPOINT' });
  }
  modelWeights.forEach((w, i) => {
    const e = index.weights[i];
    if (e.name !== weightKey(w) || !tf.util.arraysEqual(e.shape, w.shape as number[])) {
      throw new AuditError(`training checkpoint weight ${i} is ${e.name} ${JSON.stringify(e.shape)}, the model has ${weightKey(w)} ${JSON.stringify(w.shape)}`, { file: indexPath, code: 'BAD_CHECKPOINT' });
    }
  });
  modelWeights.forEach((w, i) => {
    const e = index.weights[i];
    const t = tf.tensor(floats.slice(e.offset, e.offset + e.length), e.shape);
    w.write(t);
    t.dispose();
  });
  const slots = new Map<string, tf.Tensor>();
  for (const e of index.slots) slots.set(e.name, tf.tensor(floats.slice(e.offset, e.offset + e.length), e.shape));
  return { state: index.state, slots };
}
