import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeIdx, gzipDeterministic } from '../../../src/engine/data/idx';
import { AuditError } from '../../../src/engine/util/errors';

/** The repository root (tests run from out/test/unit/data). */
export const REPO_ROOT = resolve(__dirname, '../../../..');
export const FIXTURES = join(REPO_ROOT, 'test/fixtures/data');
export const SAMPLE = join(REPO_ROOT, 'samples/fashion-mnist');

/** `idx:` SPEC of one split of the committed sample. */
export function sampleSpec(split: 'pretrain' | 'finetune' | 'test'): string {
  return `idx:${join(SAMPLE, `${split}-images-idx3-ubyte.gz`)},${join(SAMPLE, `${split}-labels-idx1-ubyte.gz`)}`;
}

/**
 * Asserts that `action` fails with an AuditError of `code` whose message names `file` (when given) and
 * matches `message`.
 */
export async function rejectsWithAuditError(
  action: Promise<unknown> | (() => unknown),
  expected: { code: string; file?: string; message: RegExp },
): Promise<void> {
  const promise = typeof action === 'function' ? Promise.resolve().then(action) : action;
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof AuditError, `expected an AuditError, got ${String(e)}`);
    assert.equal(e.code, expected.code, `code of: ${e.message}`);
    if (expected.file !== undefined) assert.ok(e.message.includes(expected.file), `message should name ${expected.file}: ${e.message}`);
    assert.match(e.message, expected.message);
    return true;
  });
}

/** A fresh temporary folder, removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'bias-audit-data-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes a tiny IDX pair: `count` images of h x w (x c when given) whose pixel values encode their position. */
export async function writeTinyIdx(dir: string, options: { count: number; height: number; width: number; channels?: number; labels: number[]; gzip?: boolean }): Promise<string> {
  const { count, height, width, channels } = options;
  const dims = channels === undefined ? [count, height, width] : [count, height, width, channels];
  const size = dims.reduce((a, b) => a * b, 1);
  const images = encodeIdx(dims, Uint8Array.from({ length: size }, (_, i) => (i * 13) % 256));
  const labels = encodeIdx([count], Uint8Array.from(options.labels));
  const suffix = options.gzip === true ? '.gz' : '';
  await writeFile(join(dir, `images${suffix}`), options.gzip === true ? gzipDeterministic(images) : images);
  await writeFile(join(dir, `labels${suffix}`), options.gzip === true ? gzipDeterministic(labels) : labels);
  return `idx:${join(dir, `images${suffix}`)},${join(dir, `labels${suffix}`)}`;
}

