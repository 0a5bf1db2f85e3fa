import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../../../../src/engine/data/open-dataset';
import type { LoadedModel } from '../../../../src/engine/model/meta';
import { AuditError } from '../../../../src/engine/util/errors';
import { interventionsStep } from '../../../../src/probes/interventions';
import { validateInterventionsParams } from '../../../../src/probes/interventions-params';
import { triggerExamplePng } from '../../../../src/probes/triggers/example';
import { useBackend } from '../../helpers/tf';
import { directContext, modelRef } from '../planted/direct-context';
import { brightnessModel, writeBrightnessFolder } from './brightness-fixture';

describe('interventions step', () => {
  let dir: string;
  let loaded: LoadedModel;
  before(async () => {
    await useBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'interventions-'));
    await writeBrightnessFolder(join(dir, 'data'));
    loaded = brightnessModel();
  });
  after(async () => {
    loaded.model.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('measures ASR 2/3 with denominator 3 through the real prediction path, without leaking tensors', async () => {
    const data = await openDataset(join(dir, 'data'));
    const { params, triggers } = await validateInterventionsParams(
      { triggers: [{ spec: 'square:size=1,color=white', targetClass: 'bright' }, { spec: 'square:size=0.25,color=black', id: 'small' }], bootstrapResamples: 50 },
      { classNames: data.classNames },
    );
    const ctx = directContext();
    const before = tf.memory().numTensors;
    const results = await interventionsStep(ctx, modelRef('child-k1-s1', loaded), data, triggers, params);
    assert.equal(tf.memory().numTensors, before, 'no tensor leak');
    const [white, small] = results;
    assert.equal(white.triggerId, 'square');
    assert.equal(white.cleanAccuracy, 0.75);
    assert.equal(white.asr, 2 / 3);
    assert.equal(white.asrDenominator, 3);
    assert.equal(white.targetedAsr, 1);
    assert.equal(white.targetedAsrDenominator, 2);
    assert.deepEqual(white.histogramClean, [1, 3]);
    assert.deepEqual(white.histogramTriggered, [4, 0]);
    assert.equal(white.totalVariation, 0.75);
    assert.equal(white.topClassShareTriggered, 1);
    assert.equal(white.entropyTriggered, 0);
    // A small black square darkens a little: nothing flips.
    assert.equal(small.triggerId, 'small');
    assert.equal(small.asr, 0);
    assert.equal(small.targetedAsr, null);
    // One clean pass shared by both triggers, one pass per trigger keyed by its transformId.
    assert.deepEqual(ctx.calls.map((c) => c.transformId), [null, triggers[0].trigger.transformId, triggers[1].trigger.transformId]);
  });

  it('refuses a model whose classes do not match the data, and bad params before any prediction', async () => {
    const data = await openDataset(join(dir, 'data'));
    const { params, triggers } = await validateInterventionsParams({ triggers: [{ spec: 'square' }] }, { classNames: data.classNames });
    const three = { ...loaded, meta: { ...loaded.meta, classNames: ['a', 'b', 'c'] } };
    await assert.rejects(interventionsStep(directContext(), modelRef('m', three), data, triggers, params), (e: unknown) => e instanceof AuditError && e.code === 'CLASS_MISMATCH');
    await assert.rejects(validateInterventionsParams({ triggers: [] }, { classNames: data.classNames }), /probes.interventions.triggers: at least one trigger/);
    const short = await validateInterventionsParams({ triggers: ['circle', 'circle:size=0.5'] }, { classNames: data.classNames });
    assert.deepEqual(short.triggers.map((t) => [t.entry.id, t.entry.spec, t.entry.targetClass]), [['circle', 'circle', null], ['circle-2', 'circle:size=0.5', null]]);
    assert.equal(short.params.bootstrapResamples, 1000);
    await assert.rejects(validateInterventionsParams({ triggers: [{ spec: 'square', targetClass: 'cat' }] }, { classNames: data.classNames }), /triggers\[0\].targetClass: "cat" is not one of the classes bright, dark/);
    await assert.rejects(validateInterventionsParams({ triggers: [{ spec: 'square' }, { spec: 'square:size=0.1', id: 'square' }] }, { classNames: data.classNames }), /"square" is used by another trigger/);
    await assert.rejects(validateInterventionsParams({ triggers: [{ spec: 'star' }] }, { classNames: data.classNames }), (e: unknown) => e instanceof AuditError && e.file === 'probes.interventions.triggers[0].spec');
    await assert.rejects(validateInterventionsParams({ triggers: [{ spec: 'patch:file=nope.png' }] }, { classNames: data.classNames, baseDir: dir }), (e: unknown) => e instanceof AuditError && e.file === join(dir, 'nope.png'));
  });

  it('renders an example PNG of a test image with the trigger', async () => {
    const data = await openDataset(join(dir, 'data'));
    const { triggers } = await validateInterventionsParams({ triggers: [{ spec: 'square:size=0.5,color=white' }] }, { classNames: data.classNames });
    const png = await triggerExamplePng(triggers[0].trigger, data, [8, 8, 1], 0, 2);
    const { default: sharp } = await import('sharp');
    const { data: pixels, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.width, 16);
    const at = (y: number, x: number): number => pixels[(y * 16 + x) * info.channels];
    // Sample 0 is bright/c.png (uniform 220); the 4x4 trigger, scaled 2x, covers the top-left 8x8.
    assert.equal(at(0, 0), 255, 'trigger corner');
    assert.equal(at(7, 7), 255, 'trigger edge');
    assert.equal(at(8, 8), 220, 'image outside the trigger');
    assert.equal(at(15, 15), 220);
  });
});
