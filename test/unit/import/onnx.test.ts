import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importCheckpoint } from '../../../src/engine/import/import-checkpoint';
import { foldConstantNode, intConst } from '../../../src/engine/import/onnx-constants';
import type { OnnxAttribute, OnnxNode } from '../../../src/engine/import/onnx-model';
import { readOnnxModel } from '../../../src/engine/import/onnx-model';
import { AuditError } from '../../../src/engine/util/errors';
import { assertNoLeak, useBackend } from '../helpers/tf';
import { fixture, nhwcInput, readReference } from './import-test-helpers';

function node(opType: string, attributes: Record<string, Partial<OnnxAttribute>> = {}): OnnxNode {
  const map = new Map<string, OnnxAttribute>();
  for (const [name, a] of Object.entries(attributes)) map.set(name, { name, floats: [], ints: [], hasGraph: false, ...a });
  return { name: opType, opType, domain: '', inputs: [], outputs: ['y'], attributes: map };
}

describe('import: ONNX', () => {
  before(() => useBackend('cpu'));

  it('decodes the graph PyTorch exported', () => {
    const model = readOnnxModel(readFileSync(fixture('tiny-cnn.onnx')), 'tiny-cnn.onnx');
    assert.equal(model.opset, 13);
    assert.match(model.producer, /pytorch/);
    assert.deepEqual(model.graph.inputs.map((i) => [i.name, i.elementType, i.dims]), [['input', 'FLOAT', ['batch', 3, 13, 17]]]);
    const conv = model.graph.nodes.find((n) => n.opType === 'Conv')!;
    assert.deepEqual(conv.attributes.get('pads')?.ints, [1, 1, 1, 1]);
    assert.deepEqual(model.graph.initializers.get('conv1.weight')?.dims, [6, 3, 3, 3]);
  });

  it('refuses an unsupported operator by name, naming the file', async () => {
    const path = fixture('unsupported-op.onnx');
    // The Conv before the Einsum was already built: its variables must not outlive the failure.
    await assertNoLeak(() =>
      assert.rejects(importCheckpoint(path), (e: unknown) => e instanceof AuditError && e.code === 'UNSUPPORTED_MODEL' && e.message.startsWith(`${path}: node 1 (Einsum): operator Einsum is not supported`)),
    );
  });

  it('refuses external data with the way out', async () => {
    const path = fixture('external-data.onnx');
    await assert.rejects(importCheckpoint(path), (e: unknown) => e instanceof AuditError && e.message.startsWith(`${path}: tensor "w" keeps its data in an external file`));
  });

  it('refuses a truncated or non-ONNX file, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'import-onnx-'));
    try {
      const bytes = readFileSync(fixture('tiny-cnn.onnx'));
      const cut = join(dir, 'cut.onnx');
      await writeFile(cut, bytes.subarray(0, bytes.length - 500));
      await assert.rejects(importCheckpoint(cut), (e: unknown) => e instanceof AuditError && e.message.startsWith(`${cut}: `) && /truncated|not an ONNX model|not a readable/.test(e.message));
      const text = join(dir, 'text.onnx');
      await writeFile(text, 'this is not protobuf at all');
      await assert.rejects(importCheckpoint(text), (e: unknown) => e instanceof AuditError && e.message.startsWith(`${text}: `));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('builds a trainable graph: every trainable weight, custom layers included, gets a gradient', async () => {
    const reference = readReference('tiny-cnn');
    const imported = await importCheckpoint(fixture('tiny-cnn.onnx'));
    try {
      const model = imported.model;
      const classNames = model.layers.map((l) => l.getClassName());
      for (const cls of ['Conv2D', 'DepthwiseConv2D', 'BatchNormalization', 'Dense', 'BiasAuditElementwiseConstant', 'BiasAuditConstantPadding2D']) {
        assert.ok(classNames.includes(cls), `expected a ${cls} layer, got ${classNames.join(', ')}`);
      }
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const norms = tf.tidy(() => {
        const x = nhwcInput(reference);
        const { grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)), variables);
        return Object.entries(grads).map(([name, g]) => [name, tf.norm(g).dataSync()[0]] as const);
      });
      assert.equal(norms.length, variables.length);
      for (const [name, norm] of norms) assert.ok(norm > 0, `no gradient reaches ${name}`);
    } finally {
      imported.model.dispose();
    }
  });

  it('folds the shape arithmetic exporters emit', () => {
    // Shape -> Gather(0) -> Unsqueeze -> Concat([N], [-1]): the dynamic batch stays NaN.
    const shape = intConst([NaN, 12, 5, 6]);
    const [batch] = foldConstantNode(node('Gather', { axis: { int: 0 } }), [shape, { dims: [], values: Float64Array.of(0), isFloat: false }], 13);
    assert.deepEqual(batch.dims, []);
    const [unsqueezed] = foldConstantNode(node('Unsqueeze'), [batch, intConst([0])], 13);
    const [target] = foldConstantNode(node('Concat', { axis: { int: 0 } }), [unsqueezed, intConst([-1])], 13);
    assert.deepEqual(target.dims, [2]);
    assert.ok(Number.isNaN(target.values[0]));
    assert.equal(target.values[1], -1);
    // F.pad's pads: Slice with a negative step, Transpose, Reshape, Cast.
    const pads = intConst([1, 0, 0, 1, 0, 0, 0, 0]);
    const [reshaped] = foldConstantNode(node('Reshape'), [pads, intConst([-1, 2])], 13);
    const [reversed] = foldConstantNode(node('Slice'), [reshaped, intConst([-1]), intConst([-9007199254740991]), intConst([0]), intConst([-1])], 13);
    assert.deepEqual(Array.from(reversed.values), [0, 0, 0, 0, 0, 1, 1, 0]);
    const [transposed] = foldConstantNode(node('Transpose', { perm: { ints: [1, 0] } }), [reversed], 13);
    assert.deepEqual(Array.from(transposed.values), [0, 0, 0, 1, 0, 0, 1, 0]);
    const [cast] = foldConstantNode(node('Cast', { to: { int: 7 } }), [{ dims: [2], values: Float32Array.of(2.7, -1.5), isFloat: true }], 13);
    assert.deepEqual(Array.from(cast.values), [2, -1]);
    const [sum] = foldConstantNode(node('Add'), [intConst([1, 2, 3]), { dims: [], values: Float64Array.of(10), isFloat: false }], 13);
    assert.deepEqual(Array.from(sum.values), [11, 12, 13]);
  });
});
