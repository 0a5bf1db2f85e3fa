import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { ZipArchive } from '../../../src/engine/import/zip-archive';
import { AuditError } from '../../../src/engine/util/errors';
import { fixture, zipBytes } from './import-test-helpers';

const isZipError = (pattern: RegExp) => (e: unknown) => e instanceof AuditError && e.message.startsWith('x.zip: ') && pattern.test(e.message);

describe('import: zip archive', () => {
  it('lists and reads the entries torch.save writes', () => {
    const archive = new ZipArchive(readFileSync(fixture('resnet18-narrow.pt')), 'resnet18-narrow.pt');
    const names = archive.names();
    assert.ok(names.some((n) => n.endsWith('/data.pkl')), names.join(','));
    assert.ok(names.some((n) => /\/data\/\d+$/.test(n)));
    const version = names.find((n) => n.endsWith('/version'))!;
    assert.match(new TextDecoder().decode(archive.read(version)), /^\d+\s*$/);
  });

  it('inflates deflated entries and checks their CRC', () => {
    const text = new TextEncoder().encode('hello hello hello hello hello');
    const archive = new ZipArchive(zipBytes([{ name: 'a.txt', data: text, deflate: true }, { name: 'b', data: Uint8Array.of(1, 2, 3) }]), 'x.zip');
    assert.deepEqual(archive.names(), ['a.txt', 'b']);
    assert.equal(new TextDecoder().decode(archive.read('a.txt')), 'hello hello hello hello hello');
    assert.deepEqual(Array.from(archive.read('b')), [1, 2, 3]);
  });

  it('refuses a truncated archive', () => {
    const bytes = readFileSync(fixture('resnet18-narrow.pt'));
    assert.throws(() => new ZipArchive(bytes.subarray(0, bytes.length - 3000), 'x.zip'), isZipError(/end of central directory not found: the file is truncated/));
  });

  it('refuses an entry whose bytes were corrupted', () => {
    const bytes = zipBytes([{ name: 'b', data: Uint8Array.of(1, 2, 3, 4) }]);
    bytes[31] ^= 0xff; // first data byte (30-byte local header + 1-byte name)
    assert.throws(() => new ZipArchive(bytes, 'x.zip').read('b'), isZipError(/fails its CRC-32 check/));
  });

  it('refuses reading a missing entry', () => {
    assert.throws(() => new ZipArchive(zipBytes([{ name: 'b', data: Uint8Array.of(1) }]), 'x.zip').read('c'), isZipError(/has no entry c/));
  });
});
