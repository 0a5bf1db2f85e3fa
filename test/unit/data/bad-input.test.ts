import { strict as assert } from 'node:assert';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { batches } from '../../../src/engine/data/batches';
import { encodeIdx } from '../../../src/engine/data/idx';
import { UNIT_RANGE } from '../../../src/engine/data/normalization';
import { openDataset } from '../../../src/engine/data/open-dataset';
import { useBackend } from '../helpers/tf';
import { FIXTURES, rejectsWithAuditError, sampleSpec, tempDir, writeTinyIdx } from './helpers';

const IMAGE = join(FIXTURES, 'folder', 'circle', 'a.png');

describe('bad data input: one clear AuditError naming the file', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(() => useBackend('cpu'));
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(() => cleanup());

  it('a missing folder, manifest or IDX file', async () => {
    const missing = join(dir, 'nowhere');
    await rejectsWithAuditError(openDataset(missing), { code: 'ENOENT', file: missing, message: /data path not found/ });
    await rejectsWithAuditError(openDataset(`${missing}.csv`), { code: 'ENOENT', file: `${missing}.csv`, message: /manifest not found/ });
    await rejectsWithAuditError(openDataset(`${missing}.jsonl`), { code: 'ENOENT', file: `${missing}.jsonl`, message: /manifest not found/ });
    await rejectsWithAuditError(openDataset(`idx:${missing}.gz,${missing}-labels.gz`), { code: 'ENOENT', file: `${missing}.gz`, message: /IDX file not found/ });
  });

  it('an unknown SPEC form', async () => {
    await writeFile(join(dir, 'list.txt'), 'x');
    await rejectsWithAuditError(openDataset(join(dir, 'list.txt')), { code: 'BAD_SPEC', file: join(dir, 'list.txt'), message: /unknown data SPEC form: this is a file, not a folder/ });
    await rejectsWithAuditError(openDataset('zip:data.zip'), { code: 'BAD_SPEC', file: 'zip:data.zip', message: /unknown SPEC form 'zip:'/ });
    await mkdir(join(dir, 'folder.csv'));
    await rejectsWithAuditError(openDataset(join(dir, 'folder.csv')), { code: 'BAD_SPEC', file: join(dir, 'folder.csv'), message: /found a folder/ });
  });

  it('an image that does not decode, at load time and through batches', async () => {
    await mkdir(join(dir, 'f', 'good'), { recursive: true });
    await mkdir(join(dir, 'f', 'bad'), { recursive: true });
    await cp(IMAGE, join(dir, 'f', 'good', 'a.png'));
    const broken = join(dir, 'f', 'bad', 'broken.png');
    await writeFile(broken, 'this is not a PNG');
    const data = await openDataset(join(dir, 'f'));
    await rejectsWithAuditError(data.loadImage(0, { height: 4, width: 4, channels: 3 }), { code: 'BAD_IMAGE', file: broken, message: /image does not decode/ });
    const drain = async (): Promise<void> => {
      for await (const batch of batches(data, { batchSize: 2, inputShape: [4, 4, 3], normalization: UNIT_RANGE })) {
        batch.x.dispose();
        batch.y.dispose();
      }
    };
    await rejectsWithAuditError(drain(), { code: 'BAD_IMAGE', file: broken, message: /does not decode/ });
    // A truncated real PNG too.
    const { readFile } = await import('node:fs/promises');
    const png = await readFile(IMAGE);
    await writeFile(broken, png.subarray(0, Math.floor(png.length / 2)));
    await rejectsWithAuditError(data.loadImage(0, { height: 4, width: 4, channels: 3 }), { code: 'BAD_IMAGE', file: broken, message: /does not decode/ });
  });

  it('an empty class folder, a folder without class folders, and a classes.txt that disagrees', async () => {
    await mkdir(join(dir, 'f', 'cats'), { recursive: true });
    await mkdir(join(dir, 'f', 'dogs'), { recursive: true });
    await cp(IMAGE, join(dir, 'f', 'cats', 'a.png'));
    await writeFile(join(dir, 'f', 'dogs', 'notes.txt'), 'no images here');
    await rejectsWithAuditError(openDataset(join(dir, 'f')), { code: 'BAD_DATA', file: join(dir, 'f', 'dogs'), message: /empty class folder/ });
    // Filtering the empty class away is fine.
    assert.deepEqual((await openDataset(`${join(dir, 'f')}?classes=cats`)).classCounts, [1]);
    await mkdir(join(dir, 'flat'));
    await cp(IMAGE, join(dir, 'flat', 'a.png'));
    await rejectsWithAuditError(openDataset(join(dir, 'flat')), { code: 'BAD_DATA', file: join(dir, 'flat'), message: /no class folders/ });
    await writeFile(join(dir, 'f', 'classes.txt'), 'cats\n');
    await rejectsWithAuditError(openDataset(join(dir, 'f')), { code: 'BAD_DATA', file: join(dir, 'f'), message: /'dogs' are not listed in classes.txt/ });
    await writeFile(join(dir, 'f', 'classes.txt'), 'cats\ndogs\nbirds\n');
    await rejectsWithAuditError(openDataset(join(dir, 'f')), { code: 'BAD_DATA', file: join(dir, 'f'), message: /'birds' from classes.txt have no folder/ });
    await writeFile(join(dir, 'f', 'classes.txt'), 'cats\n\ndogs\n');
    await rejectsWithAuditError(openDataset(join(dir, 'f')), { code: 'BAD_DATA', file: join(dir, 'f', 'classes.txt'), message: /line 2 is empty/ });
    await writeFile(join(dir, 'f', 'classes.txt'), 'cats\ncats\n');
    await rejectsWithAuditError(openDataset(join(dir, 'f')), { code: 'BAD_DATA', file: join(dir, 'f', 'classes.txt'), message: /appears twice/ });
  });

  describe('manifest rows', () => {
    const manifest = (name: string, text: string): Promise<string> => writeFile(join(dir, name), text).then(() => join(dir, name));

    it('a missing image file, naming the manifest and the line', async () => {
      const file = await manifest('m.csv', `path,label\n${IMAGE},a\nmissing.png,b\n`);
      await rejectsWithAuditError(openDataset(file), { code: 'BAD_DATA', file, message: /line 3: image file not found: .*missing\.png/ });
      const jsonl = await manifest('m.jsonl', `{"path":"${IMAGE}","label":"a"}\n{"path":"gone.webp","label":"a"}\n`);
      await rejectsWithAuditError(openDataset(jsonl), { code: 'BAD_DATA', file: jsonl, message: /line 2: image file not found: .*gone\.webp/ });
    });

    it('an unknown label when classes.txt names the classes', async () => {
      await writeFile(join(dir, 'classes.txt'), 'cat\ndog\n');
      const file = await manifest('m.csv', `path,label\n${IMAGE},dog\n${IMAGE},1\n${IMAGE},horse\n`);
      await rejectsWithAuditError(openDataset(file), { code: 'BAD_DATA', file, message: /line 4: unknown label 'horse' \(not a name in classes.txt, nor an index 0-1\)/ });
      const outOfRange = await manifest('n.csv', `path,label\n${IMAGE},2\n`);
      await rejectsWithAuditError(openDataset(outOfRange), { code: 'BAD_DATA', file: outOfRange, message: /line 2: unknown label '2'/ });
      const jsonl = await manifest('m.jsonl', `{"path":"${IMAGE}","label":5}\n`);
      await rejectsWithAuditError(openDataset(jsonl), { code: 'BAD_DATA', file: jsonl, message: /line 1: unknown label '5'/ });
    });

    it('a missing column or key, a short row, an empty field', async () => {
      const noLabel = await manifest('a.csv', `path,group\n${IMAGE},x\n`);
      await rejectsWithAuditError(openDataset(noLabel), { code: 'BAD_DATA', file: noLabel, message: /missing column 'label'/ });
      const noPath = await manifest('b.csv', `file,label\n${IMAGE},x\n`);
      await rejectsWithAuditError(openDataset(noPath), { code: 'BAD_DATA', file: noPath, message: /missing column 'path'/ });
      const short = await manifest('c.csv', `path,label,group\n${IMAGE},x,g\n${IMAGE},x\n`);
      await rejectsWithAuditError(openDataset(short), { code: 'BAD_DATA', file: short, message: /line 3: 2 field\(s\), the header has 3/ });
      const emptyLabel = await manifest('d.csv', `path,label\n${IMAGE},\n`);
      await rejectsWithAuditError(openDataset(emptyLabel), { code: 'BAD_DATA', file: emptyLabel, message: /line 2: empty 'label'/ });
      const twice = await manifest('e.csv', `path,label,label\n`);
      await rejectsWithAuditError(openDataset(twice), { code: 'BAD_DATA', file: twice, message: /names column 'label' twice/ });
      const headerOnly = await manifest('f.csv', `path,label\n`);
      await rejectsWithAuditError(openDataset(headerOnly), { code: 'BAD_DATA', file: headerOnly, message: /no rows/ });
      const quote = await manifest('g.csv', `path,label\n"${IMAGE},x\n`);
      await rejectsWithAuditError(openDataset(quote), { code: 'BAD_DATA', file: quote, message: /line 2: a quoted field is never closed/ });
      const jsonlNoLabel = await manifest('a.jsonl', `{"path":"${IMAGE}","label":"x"}\n{"path":"${IMAGE}"}\n`);
      await rejectsWithAuditError(openDataset(jsonlNoLabel), { code: 'BAD_DATA', file: jsonlNoLabel, message: /line 2: missing key 'label'/ });
      const jsonlBad = await manifest('b.jsonl', `{"path":"${IMAGE}","label":"x"}\nnot json\n`);
      await rejectsWithAuditError(openDataset(jsonlBad), { code: 'BAD_DATA', file: jsonlBad, message: /line 2: not JSON/ });
      const ragged = await manifest('c.jsonl', `{"path":"${IMAGE}","label":"x","sex":"f"}\n{"path":"${IMAGE}","label":"x"}\n`);
      await rejectsWithAuditError(openDataset(ragged), { code: 'BAD_DATA', file: ragged, message: /line 2: missing attribute key\(s\) 'sex'/ });
      const mixed = await manifest('d.jsonl', `{"path":"${IMAGE}","label":"x"}\n{"path":"${IMAGE}","label":3}\n`);
      await rejectsWithAuditError(openDataset(mixed), { code: 'BAD_DATA', file: mixed, message: /label 3 is an index but other labels are names/ });
    });
  });

  it('an IDX file with a bad magic number, truncated data, or mismatched counts', async () => {
    const spec = await writeTinyIdx(dir, { count: 3, height: 2, width: 2, labels: [0, 1, 1] });
    const images = join(dir, 'images');
    const labels = join(dir, 'labels');
    await writeFile(images, Uint8Array.from([0, 0, 0x08, 0x03, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3]));
    await rejectsWithAuditError(openDataset(spec), { code: 'BAD_IDX', file: images, message: /truncated: dimensions 3x2x2 need 12 bytes of data, found 3/ });
    await writeFile(images, Uint8Array.from([0x1f, 0x8c, 0, 0]));
    await rejectsWithAuditError(openDataset(spec), { code: 'BAD_IDX', file: images, message: /bad magic number 0x1f8c0000/ });
    await writeFile(images, encodeIdx([4, 2, 2], new Uint8Array(16)));
    await rejectsWithAuditError(openDataset(spec), { code: 'BAD_IDX', file: labels, message: /3 labels for 4 images/ });
    await writeFile(images, encodeIdx([3, 4], new Uint8Array(12)));
    await rejectsWithAuditError(openDataset(spec), { code: 'BAD_IDX', file: images, message: /has 2 \(3x4\)/ });
    await writeFile(images, encodeIdx([3, 2, 2], new Uint8Array(12)));
    await writeFile(join(dir, 'classes.txt'), 'only one\n');
    await rejectsWithAuditError(openDataset(spec), { code: 'BAD_IDX', file: labels, message: /label 1 \(first at record 1\) is outside the 1 classes of classes.txt/ });
    // Swapped pair: the labels file where the images belong.
    await rejectsWithAuditError(openDataset(`idx:${labels},${images}`), { code: 'BAD_IDX', file: labels, message: /has 1 \(3\)/ });
  });

  it('a filter that selects no class, a split that matches nothing', async () => {
    await rejectsWithAuditError(openDataset(`${sampleSpec('test')}?classes=12-15`), { code: 'EMPTY_SELECTION', file: 'test-images-idx3-ubyte.gz', message: /class index 12 is out of range 0-9/ });
    await rejectsWithAuditError(openDataset(sampleSpec('test'), { classes: 'Hat' }), { code: 'EMPTY_SELECTION', file: 'test-images-idx3-ubyte.gz', message: /no class is named 'Hat'/ });
    await rejectsWithAuditError(openDataset(sampleSpec('test'), { split: 'train' }), { code: 'BAD_SPEC', file: 'test-images-idx3-ubyte.gz', message: /source has no splits/ });
    const csv = join(FIXTURES, 'manifest', 'manifest.csv');
    await rejectsWithAuditError(openDataset(`${csv}?split=validation`), { code: 'EMPTY_SELECTION', file: csv, message: /no row has split 'validation' \(splits found: train, test\)/ });
    await rejectsWithAuditError(openDataset(csv, { perClass: 0 }), { code: 'BAD_SPEC', file: csv, message: /perClass must be an integer >= 1/ });
    const spec = await writeTinyIdx(dir, { count: 3, height: 2, width: 2, labels: [0, 2, 2] });
    await rejectsWithAuditError(openDataset(spec, { classes: [1] }), { code: 'EMPTY_SELECTION', file: join(dir, 'images'), message: /class '1' \(index 1\) was selected but has no samples/ });
  });

  it('images whose channels cannot be converted', async () => {
    const spec = await writeTinyIdx(dir, { count: 2, height: 2, width: 2, channels: 2, labels: [0, 1] });
    await rejectsWithAuditError(openDataset(spec), { code: 'BAD_CHANNELS', file: join(dir, 'images'), message: /2 channels; only 1 \(grayscale\) or 3 \(RGB\)/ });
    const folder = await openDataset(join(FIXTURES, 'folder'));
    await rejectsWithAuditError(folder.loadImage(0, { height: 4, width: 4, channels: 4 }), { code: 'BAD_CHANNELS', file: join(FIXTURES, 'folder'), message: /cannot be converted to 4 channels/ });
    const idx = await openDataset(sampleSpec('test'));
    await rejectsWithAuditError(idx.loadImage(0, { height: 28, width: 28, channels: 2 }), { code: 'BAD_CHANNELS', file: 'test-images-idx3-ubyte.gz', message: /cannot be converted to 2 channels/ });
  });
});
