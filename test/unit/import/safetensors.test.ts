import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bfloat16ToNumber, float16ToNumber, float8E4M3FnToNumber, float8E5M2ToNumber } from '../../../src/engine/import/element-types';
import { importCheckpoint } from '../../../src/engine/import/import-checkpoint';
import { readSafetensors } from '../../../src/engine/import/safetensors';
import { AuditError } from '../../../src/engine/util/errors';
import { fixture, safetensorsBytes } from './import-test-helpers';

/** A safetensors file whose header is replaced by `header` (the data bytes stay). */
function withHeader(header: unknown, data: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => readSafetensors(bytes, 'lying.safetensors'),
    (e: unknown) => e instanceof AuditError && e.code === 'BAD_CHECKPOINT' && e.message.startsWith('lying.safetensors: ') && pattern.test(e.message),
  );
}

describe('import: safetensors', () => {
  it('converts every dtype PyTorch writes to the float32 values PyTorch converts them to', () => {
    const expected = JSON.parse(readFileSync(fixture('dtypes.expected.json'), 'utf8')) as Record<string, { dtype: string; shape: number[]; float32: number[] }>;
    const { tensors } = readSafetensors(readFileSync(fixture('dtypes.safetensors')), 'dtypes.safetensors');
    assert.deepEqual([...tensors.keys()].sort(), Object.keys(expected).sort());
    for (const [name, want] of Object.entries(expected)) {
      const got = tensors.get(name)!;
      assert.equal(got.storedAs, want.dtype, name);
      assert.deepEqual(got.shape, want.shape, name);
      assert.deepEqual(Array.from(got.values), want.float32.map((v) => Math.fround(v)), name);
    }
  });

  it('reads the __metadata__ block', () => {
    const { metadata } = readSafetensors(readFileSync(fixture('resnet18-narrow.safetensors')), 'x');
    assert.equal(metadata.format, 'pt');
  });

  it('decodes the 8- and 16-bit float formats bit-exactly', () => {
    assert.equal(float16ToNumber(0x3c00), 1);
    assert.equal(float16ToNumber(0xc000), -2);
    assert.equal(float16ToNumber(0x0001), 2 ** -24);
    assert.equal(float16ToNumber(0x7c00), Infinity);
    assert.ok(Number.isNaN(float16ToNumber(0x7e00)));
    assert.equal(bfloat16ToNumber(0x3f80), 1);
    assert.equal(bfloat16ToNumber(0xc0a0), -5);
    // OCP FP8: E4M3FN has bias 7, max 448, NaN at 0x7f; E5M2 has bias 15 and infinities.
    assert.equal(float8E4M3FnToNumber(0x38), 1);
    assert.equal(float8E4M3FnToNumber(0x7e), 448);
    assert.equal(float8E4M3FnToNumber(0x01), 2 ** -9);
    assert.equal(float8E4M3FnToNumber(0xb8), -1);
    assert.ok(Number.isNaN(float8E4M3FnToNumber(0x7f)));
    assert.equal(float8E5M2ToNumber(0x3c), 1);
    assert.equal(float8E5M2ToNumber(0x7b), 57344);
    assert.equal(float8E5M2ToNumber(0x7c), Infinity);
    assert.equal(float8E5M2ToNumber(0x01), 2 ** -16);
  });

  it('reads F8 tensors through the header', () => {
    const bytes = withHeader({ a: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'F8_E5M2', shape: [1], data_offsets: [2, 3] } }, Uint8Array.of(0x38, 0xc0, 0x40));
    const { tensors } = readSafetensors(bytes, 'f8.safetensors');
    assert.deepEqual(Array.from(tensors.get('a')!.values), [1, -2]);
    assert.deepEqual(Array.from(tensors.get('b')!.values), [2]);
  });

  it('refuses a header that lies about a tensor size', () => {
    rejects(withHeader({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 16] } }, new Uint8Array(16)), /lies about tensor "w": shape 2x3 of F32 needs 24 bytes but data_offsets \[0, 16\] span 16/);
  });

  it('refuses offsets past the data, overlaps, holes and trailing bytes', () => {
    rejects(withHeader({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)), /ends at byte 16 of the data but the file holds only 8/);
    rejects(
      withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)),
      /"b" overlaps/,
    );
    rejects(withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), /hole of 4 bytes/);
    rejects(withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(8)), /cover 4 data bytes but the file holds 8/);
  });

  it('refuses a header length beyond the file, bad JSON, unknown dtypes and bad shapes', () => {
    const truncated = new Uint8Array(16);
    new DataView(truncated.buffer).setBigUint64(0, 1000n, true);
    rejects(truncated, /claims 1000 bytes but the file has only 8/);
    rejects(Uint8Array.of(1, 2, 3), /shorter than the 8-byte header length/);
    const garbage = new Uint8Array(12);
    garbage[0] = 4;
    garbage.set(Buffer.from('{{{x'), 8);
    rejects(garbage, /not UTF-8 JSON/);
    rejects(withHeader({ w: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), /dtype C64, which cannot be converted/);
    rejects(withHeader({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /not a list of non-negative integers/);
    rejects(withHeader([1, 2], new Uint8Array(0)), /not a JSON object/);
  });

  it('names the file when importCheckpoint meets a lying header', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'import-st-'));
    try {
      const good = safetensorsBytes(new Map([['conv1.weight', { shape: [2, 3, 7, 7], values: new Float32Array(294) }]]));
      const file = join(dir, 'liar.safetensors');
      // Same header length, a smaller shape: the header now disagrees with the data offsets.
      const text = Buffer.from(good.subarray(8, 8 + Number(new DataView(good.buffer).getBigUint64(0, true)))).toString().replace('[2,3,7,7]', '[1,3,7,7]');
      const lying = new Uint8Array(good);
      lying.set(Buffer.from(text), 8);
      await writeFile(file, lying);
      await assert.rejects(importCheckpoint(file), (e: unknown) => e instanceof AuditError && e.message.startsWith(`${file}: `) && /lies about tensor "conv1.weight"/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
