import { strict as assert } from 'node:assert';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Dataset } from '../../../src/engine/data/dataset';
import { AuditError } from '../../../src/engine/util/errors';
import { type AssociationsParams, openConceptImages, validateAssociationsParams } from '../../../src/probes/associations-params';

/** Writes root/<concept>/<i>.png (4x4 gray) for each concept and count. */
async function conceptFolder(root: string, counts: Record<string, number>): Promise<void> {
  for (const [concept, count] of Object.entries(counts)) {
    await mkdir(join(root, concept), { recursive: true });
    for (let i = 0; i < count; i++) {
      const png = await sharp(Buffer.alloc(16, 10 * i), { raw: { width: 4, height: 4, channels: 1 } }).png().toBuffer();
      await writeFile(join(root, concept, `${i}.png`), png);
    }
  }
}

describe('probes/associations parameters', () => {
  let root: string;
  let images: Dataset;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'bias-audit-concepts-'));
    await conceptFolder(root, { man: 6, woman: 6, surfboard: 6, kitchen: 3, car: 1 });
    images = await openConceptImages(root);
  });
  after(() => rm(root, { recursive: true, force: true }));

  const valid = (): Partial<AssociationsParams> & { concepts: string } => ({
    concepts: root,
    comparisons: ['surfboard~man', 'surfboard~woman', ['kitchen', 'man']],
    subsetSize: 3,
  });

  function rejects(given: Partial<AssociationsParams>, file: string, message: RegExp): void {
    assert.throws(
      () => validateAssociationsParams({ ...valid(), ...given }, images),
      (e: unknown) => e instanceof AuditError && e.file === file && message.test(e.message),
      `expected an error on ${file} matching ${message}`,
    );
  }

  it('resolves comparisons written as "A~B" or [A, B] and fills in the defaults', () => {
    const params = validateAssociationsParams(valid(), images);
    assert.deepEqual(params.comparisons, [
      { id: 'surfboard~man', conceptA: 'surfboard', conceptB: 'man' },
      { id: 'surfboard~woman', conceptA: 'surfboard', conceptB: 'woman' },
      { id: 'kitchen~man', conceptA: 'kitchen', conceptB: 'man' },
    ]);
    assert.equal(params.repeats, 50);
    assert.equal(params.seed, 0);
    assert.equal(params.weat, null);
  });

  it('compares every pair of concepts by default', () => {
    const params = validateAssociationsParams({ concepts: root, subsetSize: 1 }, images);
    // Folders in code-point order: car, kitchen, man, surfboard, woman -> C(5, 2) = 10 pairs.
    assert.equal(params.comparisons.length, 10);
    assert.equal(params.comparisons[0].id, 'car~kitchen');
  });

  it('names a missing concept and lists the ones there are', () => {
    rejects({ comparisons: ['surfboard~man', 'surfboard~woman', 'surfboard~child'] }, 'probes.associations.comparisons[2]', /no concept folder named "child" in .*\(concepts: car, kitchen, man, surfboard, woman\)/);
  });

  it('names the concept folder with fewer images than a subset needs', () => {
    assert.throws(
      () => validateAssociationsParams({ ...valid(), subsetSize: 4 }, images),
      (e: unknown) => e instanceof AuditError && e.file === join(root, 'kitchen') && /holds 3 images but a subset of probes.associations.subsetSize = 4 needs at least 4/.test(e.message),
    );
  });

  it('refuses self-comparisons, duplicates, too few comparisons and bad numbers', () => {
    rejects({ comparisons: ['man~man', 'a~b', 'c~d'] }, 'probes.associations.comparisons[0]', /with itself/);
    rejects({ comparisons: ['man~woman', 'woman~man', 'kitchen~man'] }, 'probes.associations.comparisons[1]', /listed twice/);
    rejects({ comparisons: ['man~woman', 'kitchen~man'] }, 'probes.associations.comparisons', /at least 3/);
    rejects({ comparisons: ['man-woman', 'a~b', 'c~d'] }, 'probes.associations.comparisons[0]', /"A~B" or \[A, B\]/);
    rejects({ subsetSize: 0 }, 'probes.associations.subsetSize', /integer >= 1/);
    rejects({ repeats: 1.5 }, 'probes.associations.repeats', /integer >= 1/);
  });

  it('checks the WEAT concepts', () => {
    const weat = validateAssociationsParams({ ...valid(), weat: { targets: ['surfboard', 'kitchen'], attributes: ['man', 'woman'] } }, images).weat;
    assert.deepEqual(weat, { targets: ['surfboard', 'kitchen'], attributes: ['man', 'woman'], maxExactPartitions: 100_000, sampledPartitions: 10_000 });
    rejects({ weat: { targets: ['surfboard', 'man'], attributes: ['man', 'woman'] } }, 'probes.associations.weat', /four different concepts/);
    rejects({ weat: { targets: ['surfboard', 'boat'], attributes: ['man', 'woman'] } }, 'probes.associations.weat.targets[1]', /no concept folder named "boat"/);
    assert.throws(
      () => validateAssociationsParams({ ...valid(), weat: { targets: ['surfboard', 'car'], attributes: ['man', 'woman'] } }, images),
      (e: unknown) => e instanceof AuditError && e.file === join(root, 'car') && /holds 1 image but the WEAT test needs at least 2/.test(e.message),
    );
  });

  it('names a concept folder that does not exist', async () => {
    await assert.rejects(openConceptImages(join(root, 'nope')), (e: unknown) => e instanceof AuditError && e.message.includes(join(root, 'nope')) && e.message.includes('probes.associations.concepts'));
  });
});
