import { strict as assert } from 'node:assert';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModel } from '../../../src/engine/model/load';
import { saveModel } from '../../../src/engine/model/save';
import { useBackend } from '../helpers/tf';
import { makeTmpDir, removeTmpDirs, tinyFoundation } from './fixtures';

/** A saved tiny foundation (classes cat, dog, fox, owl) with its classes.txt removed. */
async function savedWithoutClassesTxt(): Promise<string> {
  const foundation = tinyFoundation(1);
  const dir = join(await makeTmpDir(), 'm');
  await saveModel(foundation, dir);
  foundation.model.dispose();
  await rm(join(dir, 'classes.txt'));
  return dir;
}

/** Removes our meta from model.json, as for a checkpoint converted elsewhere. */
async function stripMeta(dir: string): Promise<void> {
  const file = join(dir, 'model.json');
  const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  delete json.userDefinedMetadata;
  await writeFile(file, JSON.stringify(json));
}

describe('model: class names and normalisation from sidecar files', () => {
  before(() => useBackend('cpu'));
  after(() => removeTmpDirs());

  it('uses the meta in model.json when there is no sidecar', async () => {
    const dir = await savedWithoutClassesTxt();
    const loaded = await loadModel(dir);
    assert.deepEqual(loaded.meta.classNames, ['cat', 'dog', 'fox', 'owl']);
    assert.equal(loaded.metaSources?.classNames, join(dir, 'model.json'));
    loaded.model.dispose();
  });

  it('prefers classes.txt, then classes.json, then metadata.json over the meta', async () => {
    const dir = await savedWithoutClassesTxt();
    await writeFile(join(dir, 'metadata.json'), JSON.stringify({ labels: ['m1', 'm2', 'm3', 'm4'] }));
    let loaded = await loadModel(dir);
    assert.deepEqual(loaded.meta.classNames, ['m1', 'm2', 'm3', 'm4']);
    assert.equal(loaded.metaSources?.classNames, join(dir, 'metadata.json'));
    loaded.model.dispose();

    // Keras' imagenet_class_index.json form: index -> [wordnet id, name].
    await writeFile(join(dir, 'classes.json'), JSON.stringify({ 0: ['n1', 'tench'], 1: ['n2', 'goldfish'], 2: ['n3', 'shark'], 3: ['n4', 'ray'] }));
    loaded = await loadModel(dir);
    assert.deepEqual(loaded.meta.classNames, ['tench', 'goldfish', 'shark', 'ray']);
    loaded.model.dispose();

    await writeFile(join(dir, 'classes.txt'), 'w\r\nx\r\ny\r\nz\r\n\r\n');
    loaded = await loadModel(dir);
    assert.deepEqual(loaded.meta.classNames, ['w', 'x', 'y', 'z']);
    assert.equal(loaded.metaSources?.classNames, join(dir, 'classes.txt'));
    loaded.model.dispose();
  });

  it('falls back to class indices and [0, 1] scaling for a checkpoint without meta, and says so', async () => {
    const dir = await savedWithoutClassesTxt();
    await stripMeta(dir);
    const loaded = await loadModel(dir);
    assert.deepEqual(loaded.meta.classNames, ['class 0', 'class 1', 'class 2', 'class 3']);
    assert.deepEqual(loaded.meta.normalization, { scale: 1 / 255, mean: [0], std: [1] });
    assert.deepEqual(loaded.meta.inputShape, [12, 12, 3]);
    assert.equal(loaded.meta.architecture, 'small_resnet');
    assert.equal(loaded.meta.lineage, undefined);
    assert.deepEqual(loaded.metaSources, { classNames: 'indices', normalization: 'default' });
    loaded.model.dispose();
  });

  it('takes the normalisation from metadata.json when the checkpoint has no meta', async () => {
    const dir = await savedWithoutClassesTxt();
    await stripMeta(dir);
    const normalization = { scale: 1, mean: [103.939, 116.779, 123.68], std: [1, 1, 1] };
    await writeFile(join(dir, 'metadata.json'), JSON.stringify({ classes: ['a', 'b', 'c', 'd'], normalization }));
    const loaded = await loadModel(dir);
    assert.deepEqual(loaded.meta.normalization, normalization);
    assert.deepEqual(loaded.meta.classNames, ['a', 'b', 'c', 'd']);
    assert.deepEqual(loaded.metaSources, { classNames: join(dir, 'metadata.json'), normalization: join(dir, 'metadata.json') });
    loaded.model.dispose();
  });
});
