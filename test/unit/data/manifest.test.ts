import { strict as assert } from 'node:assert';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDataset } from '../../../src/engine/data/open-dataset';
import { parseDataSpec } from '../../../src/engine/data/spec';
import { MANIFEST_CLASSES, MANIFEST_ROWS } from './fixture-images';
import { FIXTURES, tempDir } from './helpers';

const CSV = join(FIXTURES, 'manifest', 'manifest.csv');
const JSONL = join(FIXTURES, 'manifest', 'manifest.jsonl');

describe('manifest datasets', () => {
  for (const file of [CSV, JSONL]) {
    it(`reads ${file.endsWith('.csv') ? 'CSV' : 'JSONL'}: paths relative to the manifest, labels by name or index, attributes as strings`, async () => {
      const data = await openDataset(file);
      assert.deepEqual(data.classNames, MANIFEST_CLASSES);
      assert.deepEqual(data.attributeNames, ['group']);
      assert.equal(data.samples.length, MANIFEST_ROWS.length);
      data.samples.forEach((sample, i) => {
        const row = MANIFEST_ROWS[i];
        assert.equal(sample.path, join(FIXTURES, row.image));
        assert.equal(sample.label, typeof row.label === 'number' ? row.label : MANIFEST_CLASSES.indexOf(row.label));
        assert.deepEqual(sample.attributes, { group: row.group });
        assert.equal(sample.split, row.split);
      });
      assert.deepEqual(data.classCounts, [3, 3, 3]);
      const image = await data.loadImage(0, { height: 10, width: 12, channels: 3 });
      assert.equal(image.pixels[0 * 3 + 2], 100);
    });
  }

  it('opens a parsed DataSpec and resolves relative SPECs against baseDir', async () => {
    const fromSpec = await openDataset(parseDataSpec('manifest/manifest.csv?split=test', { baseDir: FIXTURES }));
    const fromOptions = await openDataset('manifest/manifest.csv', { baseDir: FIXTURES, split: 'test' });
    assert.equal(fromSpec.samples.length, 3);
    assert.deepEqual(fromSpec.samples, fromOptions.samples);
    assert.equal(fromSpec.specString, `csv:${CSV}?split=test`);
    assert.equal(fromOptions.specString, fromSpec.specString);
  });

  it('gives CSV and JSONL listing the same rows the same content hash', async () => {
    const [csv, jsonl] = await Promise.all([openDataset(CSV), openDataset(JSONL)]);
    assert.equal(await csv.contentHash(), await jsonl.contentHash());
    const folder = await openDataset(join(FIXTURES, 'folder'));
    assert.notEqual(await csv.contentHash(), await folder.contentHash());
  });

  it('selects a split, and combines it with class filters', async () => {
    const test = await openDataset(`${CSV}?split=test`);
    assert.deepEqual(
      test.samples.map((s) => s.path?.slice(FIXTURES.length + 1)),
      MANIFEST_ROWS.filter((r) => r.split === 'test').map((r) => r.image),
    );
    const trainCircles = await openDataset(CSV, { split: 'train', classes: ['circle'] });
    assert.deepEqual(trainCircles.classNames, ['circle']);
    assert.deepEqual(trainCircles.samples.map((s) => [s.label, s.sourceLabel]), [
      [0, 1],
      [0, 1],
    ]);
  });

  it('without classes.txt: integer labels are indices, other labels are names in code-point order', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await mkdir(join(dir, 'm'));
      const image = join(FIXTURES, 'folder', 'circle', 'a.png');
      await writeFile(join(dir, 'm', 'indices.csv'), `path,label\n${image},2\n${image},0\n`);
      const indices = await openDataset(join(dir, 'm', 'indices.csv'));
      assert.deepEqual(indices.classNames, ['0', '1', '2']);
      assert.deepEqual(indices.classCounts, [1, 0, 1]);
      await writeFile(join(dir, 'm', 'names.jsonl'), [`{"path":"${image}","label":"dog","age":3,"ok":true,"note":null}`, `{"path":"${image}","label":"Cat","age":4,"ok":false,"note":"x"}`].join('\n'));
      const names = await openDataset(join(dir, 'm', 'names.jsonl'));
      assert.deepEqual(names.classNames, ['Cat', 'dog']);
      assert.deepEqual(names.samples.map((s) => s.label), [1, 0]);
      assert.deepEqual(names.samples[0].attributes, { age: '3', ok: 'true', note: '' });
    } finally {
      await cleanup();
    }
  });
});
