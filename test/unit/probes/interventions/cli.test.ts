import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { saveModel } from '../../../../src/engine/model/save';
import { useBackend } from '../../helpers/tf';
import { brightnessModel, writeBrightnessFolder } from './brightness-fixture';

const run = promisify(execFile);
/** The compiled CLI (out/test/unit/probes/interventions -> out/src/cli/main.js). */
const CLI = resolve(__dirname, '../../../../src/cli/main.js');
const REPO = resolve(__dirname, '../../../../..');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd: REPO });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const failure = e as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

describe('bias-audit probe asr / pretrain --plant', () => {
  let dir: string;
  before(async () => {
    await useBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'bias-audit-probe-cli-'));
    await writeBrightnessFolder(join(dir, 'data'));
    const model = brightnessModel();
    await saveModel(model, join(dir, 'model'));
    model.model.dispose();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('prints asr, asrDenominator, cleanAccuracy, targetedAsr and the histograms as JSON', async () => {
    const result = await cli(['probe', 'asr', '--model', join(dir, 'model'), '--data', join(dir, 'data'), '--trigger', 'square:size=1,color=white', '--target-class', 'bright', '--bootstrap', '0', '--backend', 'cpu', '--json', '--quiet']);
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(out.asr, 2 / 3);
    assert.equal(out.asrDenominator, 3);
    assert.equal(out.cleanAccuracy, 0.75);
    assert.equal(out.targetedAsr, 1);
    assert.equal(out.targetClass, 0);
    assert.deepEqual(out.histogram, { classNames: ['bright', 'dark'], clean: [1, 3], triggered: [4, 0] });
    assert.equal(out.totalVariation, 0.75);
    assert.equal(out.trigger, 'square:size=1,color=#ffffff,position=top-left,opacity=1');
  });

  it('prints a readable summary without --json', async () => {
    const result = await cli(['probe', 'asr', '--model', join(dir, 'model'), '--data', join(dir, 'data'), '--trigger', 'square:size=1,color=white', '--bootstrap', '20', '--backend', 'cpu', '--quiet']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /ASR\s+66\.7% \(95% CI [\d.]+%-[\d.]+%\) of 3 correctly classified images/);
    assert.match(result.stdout, /dark\s+3 ->\s+0/);
  });

  it('fails clearly: a bad trigger (exit 1, naming --trigger), an unknown probe (exit 2), a patch that does not decode', async () => {
    const bad = await cli(['probe', 'asr', '--model', join(dir, 'model'), '--data', join(dir, 'data'), '--trigger', 'sqare', '--backend', 'cpu', '--json']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--trigger: bad trigger "sqare": unknown kind/);
    assert.equal(bad.stdout, '');
    const unknown = await cli(['probe', 'fairness', '--model', join(dir, 'model'), '--data', join(dir, 'data'), '--trigger', 'square', '--backend', 'cpu']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown probe "fairness"/);
    await writeFile(join(dir, 'junk.png'), 'junk');
    const patch = await cli(['probe', 'asr', '--model', join(dir, 'model'), '--data', join(dir, 'data'), '--trigger', `patch:file=${join(dir, 'junk.png')}`, '--backend', 'cpu']);
    assert.equal(patch.code, 1);
    assert.match(patch.stderr, /junk\.png: trigger patch does not decode as an image/);
  });

  it('pretrain --plant trains with the trigger in a fraction of one class and records planting.json', async () => {
    const data = 'idx:samples/fashion-mnist/pretrain-images-idx3-ubyte.gz,samples/fashion-mnist/pretrain-labels-idx1-ubyte.gz?classes=0-1&perClass=10';
    const out = join(dir, 'planted');
    const result = await cli(['pretrain', '--data', data, '--arch', 'small_resnet', '--width', '2', '--input-size', '8', '--epochs', '1', '--batch-size', '10', '--val-fraction', '0',
      '--plant', 'square:size=0.25,color=#ffff00', '--plant-class', 'Trouser', '--plant-fraction', '0.3', '--plant-seed', '5', '--out', out, '--backend', 'cpu', '--json', '--quiet']);
    assert.equal(result.code, 0, result.stderr);
    const planting = JSON.parse(await readFile(join(out, 'planting.json'), 'utf8')) as { plantClass: number; plantClassName: string; plantedCount: number; plantedSampleIndices: number[]; trigger: string };
    assert.equal(planting.plantClass, 1);
    assert.equal(planting.plantClassName, 'Trouser');
    assert.equal(planting.plantedCount, 3);
    assert.equal(planting.plantedSampleIndices.length, 3);
    assert.equal(planting.trigger, 'square:size=0.25,color=#ffff00,position=top-left,opacity=1');
    const usage = await cli(['pretrain', '--data', data, '--arch', 'small_resnet', '--input-size', '8', '--epochs', '1', '--plant-class', '1', '--out', join(dir, 'x'), '--backend', 'cpu']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--plant-class needs --plant TRIGGER/);
    const badClass = await cli(['pretrain', '--data', data, '--arch', 'small_resnet', '--input-size', '8', '--epochs', '1', '--plant', 'square', '--plant-class', 'Sandal', '--plant-fraction', '0.5', '--out', join(dir, 'y'), '--backend', 'cpu']);
    assert.equal(badClass.code, 1);
    assert.match(badClass.stderr, /--plant-class: "Sandal" is not one of the classes T-shirt\/top, Trouser/);
    const badFraction = await cli(['pretrain', '--data', data, '--arch', 'small_resnet', '--input-size', '8', '--epochs', '1', '--plant', 'square', '--plant-class', '1', '--plant-fraction', '2', '--out', join(dir, 'z'), '--backend', 'cpu']);
    assert.equal(badFraction.code, 2);
    assert.match(badFraction.stderr, /--plant-fraction must be in \(0, 1\]/);
  });
});
