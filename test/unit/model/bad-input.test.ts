import { strict as assert } from 'node:assert';
import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModel } from '../../../src/engine/model/load';
import { saveModel } from '../../../src/engine/model/save';
import { AuditError } from '../../../src/engine/util/errors';
import { assertNoLeak, useBackend } from '../helpers/tf';
import { makeTmpDir, removeTmpDirs, tinyFoundation } from './fixtures';

/** Asserts that loading `path` fails with an AuditError naming `file` whose message matches `problem`, leaking nothing. */
async function expectLoadError(path: string, file: string, problem: RegExp, code?: string): Promise<void> {
  await assertNoLeak(async () => {
    await assert.rejects(loadModel(path), (e: unknown) => {
      assert.ok(e instanceof AuditError, `expected an AuditError, got ${String(e)}`);
      assert.equal(e.file, file);
      assert.ok(e.message.startsWith(`${file}: `), e.message);
      assert.match(e.message, problem);
      if (code) assert.equal(e.code, code);
      return true;
    });
  });
}

async function savedModel(): Promise<string> {
  const foundation = tinyFoundation(1);
  const dir = join(await makeTmpDir(), 'm');
  await saveModel(foundation, dir);
  foundation.model.dispose();
  return dir;
}

async function editModelJson(dir: string, edit: (json: Record<string, unknown>) => void): Promise<void> {
  const file = join(dir, 'model.json');
  const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  await writeFile(file, JSON.stringify(json));
}

interface LayerJson {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
}

function layersOf(json: Record<string, unknown>): LayerJson[] {
  return ((json.modelTopology as { config: { layers: LayerJson[] } }).config.layers);
}

describe('model: bad input gets a clear AuditError naming the file', () => {
  before(() => useBackend('cpu'));
  after(() => removeTmpDirs());

  it('a path that does not exist', async () => {
    const missing = join(await makeTmpDir(), 'nope');
    await expectLoadError(missing, missing, /model not found/, 'ENOENT');
  });

  it('a directory without model.json', async () => {
    const dir = await makeTmpDir();
    await expectLoadError(dir, dir, /no model\.json/, 'ENOENT');
  });

  it('a model.json that is not JSON', async () => {
    const dir = await savedModel();
    await writeFile(join(dir, 'model.json'), '{"modelTopology": {"class_name": "Model", ');
    await expectLoadError(dir, join(dir, 'model.json'), /not valid JSON/, 'BAD_CHECKPOINT');
  });

  it('a model.json without modelTopology', async () => {
    const dir = await savedModel();
    await editModelJson(dir, (json) => delete json.modelTopology);
    await expectLoadError(dir, join(dir, 'model.json'), /has no modelTopology/, 'BAD_CHECKPOINT');
  });

  it('a TF.js graph model', async () => {
    const dir = await savedModel();
    await writeFile(join(dir, 'model.json'), JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }));
    await expectLoadError(dir, join(dir, 'model.json'), /graph model.*tfjs_layers_model/);
  });

  it('a weight shard that is missing', async () => {
    const dir = await savedModel();
    await rm(join(dir, 'weights.bin'));
    await expectLoadError(dir, join(dir, 'weights.bin'), /missing/, 'BAD_CHECKPOINT');
  });

  it('a weight shard of the wrong size', async () => {
    const dir = await savedModel();
    const size = (await readFile(join(dir, 'weights.bin'))).length;
    await truncate(join(dir, 'weights.bin'), size - 8);
    await expectLoadError(dir, join(dir, 'weights.bin'), new RegExp(`has ${size - 8} bytes but .* needs ${size} bytes`), 'BAD_CHECKPOINT');
  });

  it('a weights manifest that does not match the topology', async () => {
    const dir = await savedModel();
    await editModelJson(dir, (json) => {
      const weights = (json.weightsManifest as { weights: { name: string }[] }[])[0].weights;
      weights[0].name = 'not_a_layer/kernel';
    });
    await expectLoadError(dir, join(dir, 'model.json'), /belong to no layer.*not_a_layer\/kernel/, 'BAD_CHECKPOINT');
  });

  it('a weight whose shape does not match its layer', async () => {
    const dir = await savedModel();
    await editModelJson(dir, (json) => {
      const conv = layersOf(json).find((l) => l.name === 'conv1_conv')!;
      conv.config.kernel_size = [1, 1];
    });
    await expectLoadError(dir, join(dir, 'model.json'), /conv1_conv\/kernel has shape \[3, 3, 3, 4\].*needs \[1, 1, 3, 4\]/, 'BAD_CHECKPOINT');
  });

  it('an unsupported layer class (Keras Lambda, unknown custom layer)', async () => {
    const dir = await savedModel();
    await editModelJson(dir, (json) => {
      layersOf(json).find((l) => l.name === 'conv1_relu')!.class_name = 'Lambda';
    });
    await expectLoadError(dir, join(dir, 'model.json'), /layer conv1_relu has unsupported class Lambda: Lambda layers hold Python code/, 'UNSUPPORTED_LAYER');
    await editModelJson(dir, (json) => {
      layersOf(json).find((l) => l.name === 'conv1_relu')!.class_name = 'MyFancyActivation';
    });
    await expectLoadError(dir, join(dir, 'model.json'), /unsupported class MyFancyActivation/, 'UNSUPPORTED_LAYER');
  });

  it('a classes.txt whose count does not match the outputs', async () => {
    const dir = await savedModel();
    await writeFile(join(dir, 'classes.txt'), 'a\nb\nc\n');
    await expectLoadError(dir, join(dir, 'classes.txt'), /lists 3 classes but the model's classifier has 4 outputs/, 'BAD_CLASSES');
  });

  it('a classes.txt with a blank line or a duplicate', async () => {
    const dir = await savedModel();
    await writeFile(join(dir, 'classes.txt'), 'a\n\nc\nd\n');
    await expectLoadError(dir, join(dir, 'classes.txt'), /line 2 is blank/, 'BAD_CLASSES');
    await writeFile(join(dir, 'classes.txt'), 'a\nb\na\nd\n');
    await expectLoadError(dir, join(dir, 'classes.txt'), /"a" appears twice/, 'BAD_CLASSES');
  });

  it('a sidecar metadata.json that is not JSON, or names classes wrongly', async () => {
    const dir = await savedModel();
    await rm(join(dir, 'classes.txt'));
    await writeFile(join(dir, 'metadata.json'), '{"labels": [');
    await expectLoadError(dir, join(dir, 'metadata.json'), /not valid JSON/, 'BAD_CLASSES');
    await writeFile(join(dir, 'metadata.json'), JSON.stringify({ labels: 'cat,dog' }));
    await expectLoadError(dir, join(dir, 'metadata.json'), /field "labels" must be a list of class names/, 'BAD_CLASSES');
  });

  it('meta whose input shape contradicts the model', async () => {
    const dir = await savedModel();
    await editModelJson(dir, (json) => {
      ((json.userDefinedMetadata as Record<string, Record<string, unknown>>).biasAudit).inputShape = [28, 28, 1];
    });
    await expectLoadError(dir, join(dir, 'model.json'), /meta inputShape 28x28x1 does not match the model's input 12x12x3/, 'BAD_META');
  });

  it('malformed meta fields', async () => {
    const dir = await savedModel();
    await editModelJson(dir, (json) => {
      ((json.userDefinedMetadata as Record<string, Record<string, unknown>>).biasAudit).normalization = { scale: 1, mean: [0, 0, 0], std: [1, 0, 1] };
    });
    await expectLoadError(dir, join(dir, 'model.json'), /std must be positive/, 'BAD_META');
  });
});
