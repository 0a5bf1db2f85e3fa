import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip, gzipSync } from 'node:zlib';
import { AuditError } from '../util/errors';
import { sha256 } from '../util/hash';

const gunzipAsync = promisify(gunzip);

/**
 * An IDX array (the MNIST / Fashion-MNIST container): big-endian dimensions and unsigned bytes.
 * Only the unsigned-byte element type (0x08) is supported, which is what image and label files use.
 */
export interface IdxArray {
  dims: number[];
  /** The elements, row-major, without the header. */
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = { 0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

/**
 * Parses IDX bytes, validating the magic number, the element type, the dimensions and the exact size.
 * @throws AuditError (code `BAD_IDX`) naming `file` for a bad magic number, an unsupported type,
 *   truncated data or trailing bytes.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const fail = (problem: string): never => {
    throw new AuditError(`not a valid IDX file: ${problem}`, { file, code: 'BAD_IDX' });
  };
  if (bytes.length < 4) fail(`${bytes.length} bytes is shorter than the 4-byte magic number`);
  const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
  if (bytes[0] !== 0 || bytes[1] !== 0) fail(`bad magic number 0x${magic} (expected 0x0000TTNN: type TT, NN dimensions)`);
  const type = bytes[2];
  if (TYPE_NAMES[type] === undefined) fail(`bad magic number 0x${magic}: unknown element type 0x${type.toString(16)}`);
  if (type !== 0x08) fail(`element type ${TYPE_NAMES[type]} is not supported (only unsigned byte, 0x08)`);
  const rank = bytes[3];
  if (rank < 1 || rank > 4) fail(`bad magic number 0x${magic}: ${rank} dimensions (expected 1 to 4)`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) fail(`truncated header: ${bytes.length} bytes, the ${rank} dimension sizes need ${headerBytes}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const found = bytes.length - headerBytes;
  if (found < expected) fail(`truncated: dimensions ${dims.join('x')} need ${expected} bytes of data, found ${found}`);
  if (found > expected) fail(`${found - expected} unexpected bytes after the ${dims.join('x')} data`);
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Encodes an unsigned-byte IDX array (header + data). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected) throw new RangeError(`encodeIdx: ${data.length} bytes for dimensions ${dims.join('x')}`);
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/**
 * Gzips deterministically: zlib writes no file name and a zero modification time, and the header's
 * operating-system byte (which zlib sets per platform) is fixed to 3 (Unix), so equal input gives
 * byte-identical output with the same zlib on any platform. (The gzip CRC does not cover the header.)
 */
export function gzipDeterministic(data: Uint8Array): Buffer {
  const out = gzipSync(data, { level: 9 });
  out[9] = 0x03;
  return out;
}

/** An IDX file read from disk, with the SHA-256 of its decompressed bytes (its content, whatever the gzip). */
export interface IdxFile {
  array: IdxArray;
  sha256: string;
}

/**
 * Reads an IDX file, gunzipping it when it starts with the gzip magic bytes (whatever its name).
 * @throws AuditError naming the file when it is missing, unreadable, a corrupt or truncated gzip, or not IDX.
 */
export async function readIdxFile(path: string): Promise<IdxFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new AuditError('IDX file not found', { file: path, code: 'ENOENT', cause: e });
    throw new AuditError(`cannot read IDX file: ${(e as Error).message}`, { file: path, code: code ?? 'BAD_IDX', cause: e });
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (e) {
      throw new AuditError(`gzip data is truncated or corrupt (${(e as Error).message})`, { file: path, code: 'BAD_IDX', cause: e });
    }
  }
  return { array: parseIdx(bytes, path), sha256: sha256(bytes) };
}
