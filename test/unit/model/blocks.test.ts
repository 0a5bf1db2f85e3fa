import * as tfl from '@tensorflow/tfjs-layers';
import { strict as assert } from 'node:assert';
import { analyzeBlocks, blockMap, headLayers } from '../../../src/engine/model/blocks';
import { buildResNet50 } from '../../../src/engine/model/builders/resnet';
import { buildSmallResNet } from '../../../src/engine/model/builders/small-resnet';
import { formatBlockMap } from '../../../src/engine/model/format-blocks';
import { AuditError } from '../../../src/engine/util/errors';
import { assertNoLeak, useBackend } from '../helpers/tf';

type T = tfl.SymbolicTensor;

function conv(x: T, name: string, filters: number, strides = 1): T {
  return tfl.layers.conv2d({ name, filters, kernelSize: 3, strides, padding: 'same', activation: 'relu' }).apply(x) as T;
}

/** A residual conv net with names that follow no convention: blocks must come from downsampling points. */
function genericResidualNet(): tfl.LayersModel {
  const input = tfl.input({ name: 'img', shape: [16, 16, 3] });
  let x = conv(input, 'stem_a', 4);
  x = conv(x, 'stem_b', 4);
  // A residual unit that downsamples: the main path's second conv and the shortcut both have stride 2.
  const main = conv(conv(x, 'u1_pre', 4), 'u1_down', 8, 2);
  const shortcut = conv(x, 'u1_proj', 8, 2);
  x = tfl.layers.add({ name: 'u1_sum' }).apply([main, shortcut]) as T;
  x = conv(x, 'u2', 8);
  x = tfl.layers.maxPooling2d({ name: 'pool', poolSize: 2 }).apply(x) as T;
  x = conv(x, 'u3', 8);
  x = tfl.layers.flatten({ name: 'flat' }).apply(x) as T;
  x = tfl.layers.dense({ name: 'hidden', units: 6, activation: 'relu' }).apply(x) as T;
  const out = tfl.layers.dense({ name: 'logits', units: 3 }).apply(x) as T;
  return tfl.model({ name: 'generic', inputs: input, outputs: out });
}

function allNonInputLayers(model: tfl.LayersModel): string[] {
  return model.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => l.name).sort();
}

describe('model: block map', () => {
  before(() => useBackend('cpu'));

  it('follows Keras ResNet naming for the small ResNet: stem conv1, then one block per stage', async () => {
    await assertNoLeak(() => {
      const model = buildSmallResNet({ inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
      const analysis = analyzeBlocks(model);
      assert.equal(analysis.method, 'keras-resnet');
      assert.deepEqual(analysis.blocks.map((b) => b.name), ['conv1', 'conv2', 'conv3', 'conv4']);
      assert.deepEqual(analysis.blocks[0].layers, ['conv1_conv', 'conv1_bn', 'conv1_relu']);
      assert.ok(analysis.blocks[2].layers.every((n) => n.startsWith('conv3_')));
      assert.deepEqual(analysis.head, ['avg_pool', 'predictions']);
      assert.equal(analysis.classifier, 'predictions');
      assert.deepEqual([...analysis.blocks.flatMap((b) => b.layers), ...analysis.head].sort(), allNonInputLayers(model));
      model.dispose();
    });
  });

  it('puts Keras ResNet50 padding and pooling layers into the stem', () => {
    const model = buildResNet50({ inputShape: [32, 32, 3], numClasses: 5, seed: 1, width: 4, stem: 'imagenet' });
    const blocks = blockMap(model);
    assert.deepEqual(blocks.map((b) => b.name), ['conv1', 'conv2', 'conv3', 'conv4', 'conv5']);
    assert.deepEqual(blocks[0].layers, ['conv1_pad', 'conv1_conv', 'conv1_bn', 'conv1_relu', 'pool1_pad', 'pool1_pool']);
    assert.deepEqual(blocks.map((b) => b.layers.length), [6, 32, 42, 62, 32]);
    assert.equal(blocks[4].layers[blocks[4].layers.length - 1], 'conv5_block3_out');
    model.dispose();
  });

  it('splits other conv nets where the resolution drops, at the last single-tensor cut before it', () => {
    const model = genericResidualNet();
    const analysis = analyzeBlocks(model);
    assert.equal(analysis.method, 'downsampling');
    assert.deepEqual(analysis.blocks, [
      { name: 'block1', layers: ['stem_a', 'stem_b'] },
      // The whole residual unit starts the new block, not just its strided conv.
      { name: 'block2', layers: ['u1_pre', 'u1_down', 'u1_proj', 'u1_sum', 'u2'] },
      { name: 'block3', layers: ['pool', 'u3'] },
    ]);
    assert.deepEqual(analysis.head, ['flat', 'hidden', 'logits']);
    assert.equal(analysis.classifier, 'logits');
    model.dispose();
  });

  it('uses explicit layer-name prefixes from the meta, and rejects ones that do not fit', () => {
    const model = buildSmallResNet({ inputShape: [16, 16, 3], numClasses: 3, seed: 1, width: 2 });
    const blockPrefixes = [
      { name: 'early', prefixes: ['conv1_', 'conv2_'] },
      { name: 'late', prefixes: ['conv3_', 'conv4_'] },
    ];
    const blocks = blockMap(model, { blockPrefixes });
    assert.deepEqual(blocks.map((b) => b.name), ['early', 'late']);
    assert.equal(blocks[0].layers.length + blocks[1].layers.length, allNonInputLayers(model).length - 2);
    assert.deepEqual(headLayers(model, { blockPrefixes }), ['avg_pool', 'predictions']);

    const nothing = [...blockPrefixes, { name: 'ghost', prefixes: ['conv9_'] }];
    assert.throws(() => blockMap(model, { blockPrefixes: nothing }), (e: unknown) => e instanceof AuditError && /block ghost \(prefixes conv9_\) matches no layer/.test(e.message));
    const reversed = [blockPrefixes[1], blockPrefixes[0]];
    assert.throws(() => blockMap(model, { blockPrefixes: reversed }), /listed as late, early but appear in the model as early, late/);
    const interleaved = [
      { name: 'a', prefixes: ['conv1_', 'conv3_'] },
      { name: 'b', prefixes: ['conv2_', 'conv4_'] },
    ];
    assert.throws(() => blockMap(model, { blockPrefixes: interleaved }), /block a's layers are interleaved/);
    model.dispose();
  });

  it('gives models without spatial layers one block per hidden Dense layer', () => {
    const input = tfl.input({ shape: [10] });
    const h1 = tfl.layers.dense({ name: 'h1', units: 8 }).apply(input) as T;
    const h2 = tfl.layers.dense({ name: 'h2', units: 8, activation: 'relu' }).apply(h1) as T;
    const out = tfl.layers.dense({ name: 'out', units: 2, activation: 'softmax' }).apply(h2) as T;
    const model = tfl.model({ inputs: input, outputs: out });
    const analysis = analyzeBlocks(model);
    assert.equal(analysis.method, 'dense');
    assert.deepEqual(analysis.blocks, [{ name: 'block1', layers: ['h1'] }, { name: 'block2', layers: ['h2'] }]);
    assert.deepEqual(analysis.head, ['out']);
    model.dispose();
  });

  it('rejects a model that does not end in a Dense classifier', () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const out = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(conv(input, 'c', 2)) as T;
    const model = tfl.model({ inputs: input, outputs: out });
    assert.throws(() => blockMap(model), (e: unknown) => e instanceof AuditError && /does not end in a Dense classifier/.test(e.message));
    model.dispose();
  });

  it('formats the block map with layer counts, parameters and output shapes', () => {
    const model = buildSmallResNet({ inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
    const analysis = analyzeBlocks(model);
    const text = formatBlockMap(model, analysis);
    const lines = text.split('\n');
    assert.match(lines[0], /model small_resnet: 4 blocks \(from Keras ResNet layer names\), classifier predictions/);
    assert.match(lines[1], /#\s+block\s+layers\s+params\s+output/);
    const rows = lines.slice(2, 2 + analysis.blocks.length + 1);
    // Columns are separated by at least two spaces; params is the third cell from the end.
    const params = rows.map((row) => {
      const cells = row.trim().split(/\s{2,}/);
      return Number(cells[cells.length - 3].replace(/,/g, ''));
    });
    assert.equal(params.reduce((a, b) => a + b, 0), model.countParams());
    assert.match(rows[3], /conv4\s+9\s+[\d,]+\s+7x7x32/);
    assert.match(rows[4], /head\s+2\s+330\s+10/);
    assert.match(lines[lines.length - 1], /'fixed' = 4/);
    model.dispose();
  });
});
