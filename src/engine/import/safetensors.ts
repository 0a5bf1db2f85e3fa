import { AuditError } from '../util/errors';
import { type CheckpointTensor, elementCount, formatShape, type StateDict } from './checkpoint-tensor';
import { decodeToFloat32, type ElementType, elementSize } from './element-types';

/**
 * Reader of the safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}`,
 * then the tensors' bytes. Offsets are relative to the end of the header. Like the reference reader we
 * insist the header tells the truth: every tensor's byte span matches its shape and dtype, spans do not
 * overlap, and together they cover the data exactly.
 */

/** A safetensors file's tensors (float32) and its free-form string metadata. */
export interface SafetensorsContents {
  tensors: StateDict;
  metadata: Record<string, string>;
}

/** The format's dtype names. Sub-byte types (F4, F6_*) and complex C64 are refused by name. */
const DTYPES: Record<string, ElementType> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F8_E4M3: 'float8_e4m3fn',
  F8_E5M2: 'float8_e5m2',
  F8_E8M0: 'float8_e8m0',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U64: 'uint64',
  U32: 'uint32',
  U16: 'uint16',
  U8: 'uint8',
  BOOL: 'bool',
};

/** The reference implementation refuses headers above 100 MB; a larger one is not a real checkpoint. */
const MAX_HEADER_BYTES = 100_000_000;

interface TensorEntry {
  name: string;
  dtype: string;
  type: ElementType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Reads every tensor of a safetensors file, converted to float32 (F64, F32, F16, BF16, F8_E4M3, F8_E5M2,
 * F8_E8M0, I64..I8, U64..U8, BOOL). Throws `AuditError` naming `file` for a malformed or lying header.
 *
 * @example
 * const { tensors } = readSafetensors(await readFile('model.safetensors'), 'model.safetensors');
 * tensors.get('fc.weight')?.shape; // [1000, 512]
 */
export function readSafetensors(bytes: Uint8Array, file: string): SafetensorsContents {
  const fail: (message: string) => never = (message) => {
    throw new AuditError(`not a valid safetensors file: ${message}`, { file, code: 'BAD_CHECKPOINT' });
  };
  if (bytes.byteLength < 8) fail(`it is ${bytes.byteLength} bytes long, shorter than the 8-byte header length`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`the header claims ${headerLength} bytes (more than ${MAX_HEADER_BYTES}); the file is corrupt`);
  const headerEnd = 8 + Number(headerLength);
  if (headerEnd > bytes.byteLength) {
    fail(`the header claims ${headerLength} bytes but the file has only ${bytes.byteLength - 8} after the length field (truncated?)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, headerEnd)));
  } catch (e) {
    fail(`the header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');
  const data = bytes.subarray(headerEnd);
  const entries: TensorEntry[] = [];
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) metadata[k] = typeof v === 'string' ? v : JSON.stringify(v);
      continue;
    }
    entries.push(parseEntry(name, value, fail));
  }
  checkLayout(entries, data.byteLength, fail);
  const tensors: StateDict = new Map();
  for (const entry of entries) {
    const tensor: CheckpointTensor = {
      shape: entry.shape,
      values: decodeToFloat32(data.subarray(entry.begin, entry.end), entry.type, elementCount(entry.shape)),
      storedAs: entry.dtype,
    };
    tensors.set(entry.name, tensor);
  }
  return { tensors, metadata };
}

function parseEntry(name: string, value: unknown, fail: (message: string) => never): TensorEntry {
  if (typeof value !== 'object' || value === null) fail(`entry "${name}" is not an object`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string') fail(`tensor "${name}" has no dtype`);
  const type = DTYPES[dtype as string];
  if (type === undefined) {
    fail(`tensor "${name}" has dtype ${String(dtype)}, which cannot be converted to float32 (supported: ${Object.keys(DTYPES).join(', ')})`);
  }
  const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) fail(`tensor "${name}" has shape ${JSON.stringify(shape)}, not a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    fail(`tensor "${name}" has data_offsets ${JSON.stringify(offsets)}, not [begin, end]`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`tensor "${name}" has data_offsets [${begin}, ${end}] that end before they begin`);
  const expected = elementCount(shape as number[]) * elementSize(type);
  if (end - begin !== expected) {
    fail(
      `the header lies about tensor "${name}": shape ${formatShape(shape as number[])} of ${dtype as string} needs ${expected} bytes ` +
        `but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  return { name, dtype: dtype as string, type, shape: shape as number[], begin, end };
}

/** Spans must lie inside the data, not overlap, and leave no hole: as the reference reader checks. */
function checkLayout(entries: TensorEntry[], dataLength: number, fail: (message: string) => never): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let position = 0;
  for (const entry of sorted) {
    if (entry.end > dataLength) {
      fail(`tensor "${entry.name}" ends at byte ${entry.end} of the data but the file holds only ${dataLength} data bytes (truncated, or the header lies)`);
    }
    if (entry.begin < position) fail(`tensor "${entry.name}" overlaps the tensor before it (data_offsets begin at ${entry.begin}, previous ends at ${position})`);
    if (entry.begin > position) fail(`there is a hole of ${entry.begin - position} bytes in the data before tensor "${entry.name}"`);
    position = entry.end;
  }
  if (position !== dataLength) fail(`the tensors cover ${position} data bytes but the file holds ${dataLength} (trailing bytes or a lying header)`);
}
