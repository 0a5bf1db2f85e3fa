import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../../src/engine/import/zip-archive';

/** Fixtures written by scripts/make-import-fixtures.py (PyTorch 1.13 from Debian). */
export const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'import');

export function fixture(name: string): string {
  return join(FIXTURES, name);
}

export interface JsonTensor {
  shape: number[];
  data: number[];
}

/** `<model>.reference.json`: NCHW inputs, PyTorch's logits and the input gradient of one class score. */
export interface Reference {
  input: JsonTensor;
  logits: JsonTensor;
  gradient: JsonTensor & { classIndex: number; score: 'logit' };
}

export function readReference(model: string): Reference {
  return JSON.parse(readFileSync(fixture(`${model}.reference.json`), 'utf8')) as Reference;
}

/**
 * Asserts `max |actual - expected| <= relative * max |expected|`: relative to the tensor's scale, so
 * entries near zero are held to the same absolute standard as the rest.
 */
export function assertCloseRelative(actual: ArrayLike<number>, expected: ArrayLike<number>, relative: number, what: string): number {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  }
  assert.ok(scale > 0, `${what}: the reference is all zeros, so the comparison would prove nothing`);
  assert.ok(worst <= relative * scale, `${what}: max difference ${worst} exceeds ${relative} x ${scale}`);
  return worst / scale;
}

/** NCHW reference input -> NHWC tensor. */
export function nhwcInput(reference: Reference): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.tensor4d(reference.input.data, reference.input.shape as [number, number, number, number]), [0, 2, 3, 1]));
}

/** Logits and the NCHW input gradient of `sum_batch output[:, classIndex]`, as plain arrays (no tensor left behind). */
export function logitsAndGradient(model: tfl.LayersModel, reference: Reference): { logits: Float32Array; gradient: Float32Array } {
  return tf.tidy(() => {
    const x = nhwcInput(reference);
    const logits = (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    const score = (input: tf.Tensor): tf.Scalar => tf.sum(tf.gather(model.apply(input, { training: false }) as tf.Tensor, [reference.gradient.classIndex], 1));
    const gradient = tf.transpose(tf.grad(score)(x), [0, 3, 1, 2]).dataSync() as Float32Array;
    return { logits, gradient };
  });
}

/** A safetensors file from float32 tensors (the format is simple enough to write in a test). */
export function safetensorsBytes(tensors: Map<string, { shape: number[]; values: Float32Array }>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.values.byteLength] };
    offset += t.values.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength), at);
    at += t.values.byteLength;
  }
  return out;
}

/** A minimal zip archive (stored or deflated entries), for reader tests. */
export function zipBytes(entries: { name: string; data: Uint8Array; deflate?: boolean }[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const body = entry.deflate ? deflateRawSync(entry.data) : Buffer.from(entry.data);
    const crc = crc32(entry.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(entry.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(entry.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, directory, end]));
}
