import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { encodeIdx, gzipDeterministic, parseIdx, readIdxFile } from '../../../src/engine/data/idx';
import { sha256 } from '../../../src/engine/util/hash';
import { rejectsWithAuditError, tempDir } from './helpers';

describe('IDX files', () => {
  it('encodes and parses back dimensions and data', () => {
    const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 7);
    const bytes = encodeIdx([2, 3, 4], data);
    assert.deepEqual(Array.from(bytes.subarray(0, 4)), [0, 0, 8, 3]);
    assert.equal(bytes.length, 4 + 12 + 24);
    const parsed = parseIdx(bytes, 'x');
    assert.deepEqual(parsed.dims, [2, 3, 4]);
    assert.deepEqual(Array.from(parsed.data), Array.from(data));
  });

  it('rejects bad magic numbers, unsupported types, truncation and trailing bytes, naming the file', async () => {
    const good = encodeIdx([2, 2, 2], new Uint8Array(8));
    const withByte = (at: number, value: number): Uint8Array => {
      const copy = good.slice();
      copy[at] = value;
      return copy;
    };
    const cases: [Uint8Array, RegExp][] = [
      [withByte(0, 1), /bad magic number 0x01000803/],
      [withByte(2, 0x42), /unknown element type 0x42/],
      [withByte(2, 0x0d), /float32 is not supported/],
      [withByte(3, 0), /0 dimensions/],
      [withByte(3, 7), /7 dimensions/],
      [good.subarray(0, 3), /shorter than the 4-byte magic/],
      [good.subarray(0, 10), /truncated header/],
      [good.subarray(0, good.length - 1), /truncated: dimensions 2x2x2 need 8 bytes of data, found 7/],
      [Uint8Array.from([...good, 0, 0]), /2 unexpected bytes after/],
    ];
    for (const [bytes, message] of cases) {
      await rejectsWithAuditError(() => parseIdx(bytes, 'weird.idx'), { code: 'BAD_IDX', file: 'weird.idx', message });
    }
  });

  it('reads raw and gzipped files alike and hashes the decompressed bytes', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const bytes = encodeIdx([3], Uint8Array.from([1, 2, 3]));
      await writeFile(join(dir, 'raw'), bytes);
      await writeFile(join(dir, 'zipped.gz'), gzipDeterministic(bytes));
      const raw = await readIdxFile(join(dir, 'raw'));
      const zipped = await readIdxFile(join(dir, 'zipped.gz'));
      assert.deepEqual(zipped.array.dims, [3]);
      assert.deepEqual(Array.from(zipped.array.data), [1, 2, 3]);
      assert.equal(raw.sha256, zipped.sha256);
      assert.equal(raw.sha256, sha256(bytes));
    } finally {
      await cleanup();
    }
  });

  it('names the file of a truncated gzip or a missing file', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const gz = gzipDeterministic(encodeIdx([1000], new Uint8Array(1000).map((_, i) => i % 251)));
      const file = join(dir, 'cut.gz');
      await writeFile(file, gz.subarray(0, gz.length - 20));
      await rejectsWithAuditError(readIdxFile(file), { code: 'BAD_IDX', file, message: /gzip data is truncated or corrupt/ });
      await rejectsWithAuditError(readIdxFile(join(dir, 'nope.gz')), { code: 'ENOENT', file: join(dir, 'nope.gz'), message: /not found/ });
    } finally {
      await cleanup();
    }
  });

  it('gzips byte-reproducibly with no timestamp', () => {
    const bytes = encodeIdx([4], Uint8Array.from([9, 8, 7, 6]));
    const a = gzipDeterministic(bytes);
    const b = gzipDeterministic(bytes);
    assert.deepEqual(a, b);
    assert.deepEqual(Array.from(a.subarray(4, 8)), [0, 0, 0, 0], 'MTIME is zero');
    assert.equal(a[3] & 0x08, 0, 'no file name stored');
    assert.equal(a[9], 3);
    assert.deepEqual(gunzipSync(a), Buffer.from(bytes));
  });
});
