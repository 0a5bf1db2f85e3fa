import * as zlib from 'node:zlib';
import { AuditError } from '../util/errors';

/**
 * A minimal zip reader over an in-memory file: enough for the archives `torch.save` writes (stored
 * entries, 64-byte aligned, ZIP64 when large) and for deflated entries written by other zip tools.
 * Every entry's CRC-32 is checked, so a damaged checkpoint fails here instead of loading wrong weights.
 */

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const ZIP64_EXTRA_ID = 0x0001;

/** True when `bytes` starts like a zip archive (a local file header). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/** The entries of a zip archive held in memory; `read` inflates and CRC-checks one entry. */
export class ZipArchive {
  private readonly view: DataView;
  private readonly entries = new Map<string, ZipEntry>();

  /** Parses the central directory; throws `AuditError` naming `file` when it is missing or damaged. */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (const entry of this.readCentralDirectory()) this.entries.set(entry.name, entry);
  }

  /** Entry names in archive order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The uncompressed bytes of entry `name`, CRC-checked. */
  read(name: string): Uint8Array {
    const entry = this.entries.get(name);
    if (!entry) this.fail(`has no entry ${name}`);
    if (entry.flags & 0x1) this.fail(`entry ${name} is encrypted`);
    const at = entry.localHeaderOffset;
    if (at + 30 > this.bytes.byteLength || this.view.getUint32(at, true) !== LOCAL_SIGNATURE) {
      this.fail(`entry ${name}: no local header at byte ${at} (the archive is truncated or corrupt)`);
    }
    const dataStart = at + 30 + this.view.getUint16(at + 26, true) + this.view.getUint16(at + 28, true);
    const dataEnd = dataStart + entry.compressedSize;
    if (dataEnd > this.bytes.byteLength) {
      this.fail(`entry ${name} runs to byte ${dataEnd} but the file ends at ${this.bytes.byteLength} (truncated)`);
    }
    const stored = this.bytes.subarray(dataStart, dataEnd);
    let data: Uint8Array;
    if (entry.method === 0) data = stored;
    else if (entry.method === 8) {
      try {
        data = zlib.inflateRawSync(stored);
      } catch (e) {
        this.fail(`entry ${name} cannot be inflated: ${(e as Error).message}`);
      }
    } else this.fail(`entry ${name} uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`);
    if (data.byteLength !== entry.uncompressedSize) {
      this.fail(`entry ${name} holds ${data.byteLength} bytes, the directory says ${entry.uncompressedSize} (corrupt)`);
    }
    if (crc32(data) !== entry.crc32) this.fail(`entry ${name} fails its CRC-32 check (the file is corrupt)`);
    return data;
  }

  private fail(message: string): never {
    throw new AuditError(`zip archive ${message}`, { file: this.file, code: 'BAD_CHECKPOINT' });
  }

  private readCentralDirectory(): ZipEntry[] {
    const eocd = this.findEndOfCentralDirectory();
    let count = this.view.getUint16(eocd + 10, true);
    let size = this.view.getUint32(eocd + 12, true);
    let offset = this.view.getUint32(eocd + 16, true);
    if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
      const locator = eocd - 20;
      if (locator < 0 || this.view.getUint32(locator, true) !== ZIP64_LOCATOR_SIGNATURE) this.fail('says it is ZIP64 but has no ZIP64 locator');
      const record = this.safeNumber(this.view.getBigUint64(locator + 8, true));
      if (record + 56 > this.bytes.byteLength || this.view.getUint32(record, true) !== ZIP64_EOCD_SIGNATURE) {
        this.fail('ZIP64 end-of-central-directory record is missing (truncated?)');
      }
      count = this.safeNumber(this.view.getBigUint64(record + 32, true));
      size = this.safeNumber(this.view.getBigUint64(record + 40, true));
      offset = this.safeNumber(this.view.getBigUint64(record + 48, true));
    }
    if (offset + size > this.bytes.byteLength) this.fail('central directory lies outside the file (truncated)');
    const entries: ZipEntry[] = [];
    let at = offset;
    for (let i = 0; i < count; i++) {
      if (at + 46 > offset + size || this.view.getUint32(at, true) !== CENTRAL_SIGNATURE) this.fail(`central directory entry ${i} is damaged`);
      const nameLength = this.view.getUint16(at + 28, true);
      const extraLength = this.view.getUint16(at + 30, true);
      const commentLength = this.view.getUint16(at + 32, true);
      const entry: ZipEntry = {
        name: new TextDecoder().decode(this.bytes.subarray(at + 46, at + 46 + nameLength)),
        flags: this.view.getUint16(at + 8, true),
        method: this.view.getUint16(at + 10, true),
        crc32: this.view.getUint32(at + 16, true),
        compressedSize: this.view.getUint32(at + 20, true),
        uncompressedSize: this.view.getUint32(at + 24, true),
        localHeaderOffset: this.view.getUint32(at + 42, true),
      };
      this.applyZip64Extra(entry, at + 46 + nameLength, extraLength);
      entries.push(entry);
      at += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
  }

  /** ZIP64 extra field: 64-bit values for whichever 32-bit fields were saturated, in this order. */
  private applyZip64Extra(entry: ZipEntry, start: number, length: number): void {
    let at = start;
    while (at + 4 <= start + length) {
      const id = this.view.getUint16(at, true);
      const size = this.view.getUint16(at + 2, true);
      if (id === ZIP64_EXTRA_ID) {
        let field = at + 4;
        const next = (): number => {
          const value = this.safeNumber(this.view.getBigUint64(field, true));
          field += 8;
          return value;
        };
        if (entry.uncompressedSize === 0xffffffff) entry.uncompressedSize = next();
        if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
        if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = next();
      }
      at += 4 + size;
    }
  }

  private findEndOfCentralDirectory(): number {
    // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end of the file.
    const last = this.bytes.byteLength - 22;
    for (let at = last; at >= 0 && at >= last - 0xffff; at--) {
      if (this.view.getUint32(at, true) === EOCD_SIGNATURE) return at;
    }
    this.fail('end of central directory not found: the file is truncated or not a zip archive');
  }

  private safeNumber(value: bigint): number {
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) this.fail('holds a size beyond 2^53 bytes (corrupt)');
    return Number(value);
  }
}

let crcTable: Uint32Array | undefined;

/** zlib.crc32 exists from Node 20.15; older Nodes use the table below. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 (IEEE, as zip uses). */
export function crc32(data: Uint8Array): number {
  if (nativeCrc32) return nativeCrc32(data) >>> 0;
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
