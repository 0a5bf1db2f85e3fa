import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { analyzeBlocks } from '../../../src/engine/model/blocks';
import { loadModel } from '../../../src/engine/model/load';
import { modelHash } from '../../../src/engine/model/model-hash';
import { assertNoLeak, useBackend } from '../helpers/tf';
import { makeTmpDir, removeTmpDirs } from './fixtures';
import { FIXTURE_CLASSES, writeModelFixtures } from './make-fixtures';

const COMMITTED = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'models');

describe('model: committed fixtures under test/fixtures/models', () => {
  before(() => useBackend('cpu'));
  after(() => removeTmpDirs());

  it('load, and match what make-fixtures.ts generates today', async () => {
    await assertNoLeak(async () => {
      const fresh = await makeTmpDir();
      await writeModelFixtures(fresh);
      for (const name of ['tiny-resnet', 'keras-resnet50-tiny']) {
        const committed = await loadModel(join(COMMITTED, name));
        const regenerated = await loadModel(join(fresh, name));
        assert.equal(modelHash(committed.model), modelHash(regenerated.model), `${name} is stale: regenerate it (see make-fixtures.ts)`);
        assert.deepEqual(committed.meta, regenerated.meta);
        assert.deepEqual(committed.meta.classNames, FIXTURE_CLASSES);
        committed.model.dispose();
        regenerated.model.dispose();
      }
    });
  });

  it('the Keras fixture has the ResNet50 topology and block map', async () => {
    const loaded = await loadModel(join(COMMITTED, 'keras-resnet50-tiny'));
    assert.equal(loaded.model.layers.length, 177);
    const analysis = analyzeBlocks(loaded.model, loaded.meta);
    assert.deepEqual(analysis.blocks.map((b) => [b.name, b.layers.length]), [['conv1', 6], ['conv2', 32], ['conv3', 42], ['conv4', 62], ['conv5', 32]]);
    assert.equal(loaded.meta.lineage, undefined, 'a converted Keras model has no lineage');
    assert.deepEqual(loaded.metaSources, { classNames: join(COMMITTED, 'keras-resnet50-tiny', 'classes.txt'), normalization: 'default' });
    loaded.model.dispose();
  });
});
