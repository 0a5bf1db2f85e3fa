import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { saveModel } from '../../../../src/engine/model/save';
import { useBackend } from '../../helpers/tf';
import { QUADRANTS, quadrantModel } from './quadrant-model';

const run = promisify(execFile);
/** The compiled CLI beside this compiled test (out/test/unit/probes/stimuli -> out/src/cli/main.js). */
const CLI = resolve(__dirname, '../../../../src/cli/main.js');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const failure = e as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

describe('bias-audit stimuli', () => {
  let dir: string;
  before(async () => {
    await useBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'bias-audit-stimuli-cli-'));
    const model = quadrantModel();
    await saveModel(model, join(dir, 'model'));
    model.model.dispose();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('saves one PNG per chosen class and stimuli.json, and prints the model confidence as JSON', async () => {
    const out = join(dir, 'stimuli');
    const result = await cli(['stimuli', '--model', join(dir, 'model'), '--out', out, '--classes', '1,bottom-right', '--steps', '30', '--lr', '0.1', '--jitter', '1', '--parameterization', 'pixel', '--seed', '3', '--backend', 'cpu', '--json', '--quiet']);
    assert.equal(result.code, 0, result.stderr);
    const printed = JSON.parse(result.stdout) as { out: string; params: { steps: number; seed: number; classes: number[] }; stimuli: { className: string; image: string; foundationConfidence: number }[] };
    assert.equal(printed.out, out);
    assert.equal(printed.params.steps, 30);
    assert.equal(printed.params.seed, 3);
    assert.deepEqual(printed.params.classes, [1, 3]);
    assert.deepEqual(printed.stimuli.map((s) => [s.className, s.image]), [[QUADRANTS[1], 'class-001.png'], [QUADRANTS[3], 'class-003.png']]);
    assert.ok(printed.stimuli.every((s) => s.foundationConfidence > 0.9), JSON.stringify(printed.stimuli));
    assert.deepEqual((await readdir(out)).sort(), ['class-001.png', 'class-003.png', 'stimuli.json']);
    const manifest = JSON.parse(await readFile(join(out, 'stimuli.json'), 'utf8')) as { model: string; stimuli: unknown[] };
    assert.equal(manifest.model, join(dir, 'model'));
    assert.equal(manifest.stimuli.length, 2);
  });

  it('prints a table without --json', async () => {
    const result = await cli(['stimuli', '--model', join(dir, 'model'), '--out', join(dir, 'table'), '--classes', 'top-left', '--steps', '3', '--backend', 'cpu', '--quiet']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /1 stimuli in .*table .*own confidence/);
    assert.match(result.stdout, /0 top-left\s+\d+\.\d%\s+class-000\.png/);
  });

  it('names the flag of a bad value (exit 2) and the problem with the model (exit 1)', async () => {
    const badClass = await cli(['stimuli', '--model', join(dir, 'model'), '--out', join(dir, 'x'), '--classes', 'middle', '--backend', 'cpu', '--quiet']);
    assert.equal(badClass.code, 2);
    assert.match(badClass.stderr, /--classes: no foundation class named 'middle'/);
    const badScore = await cli(['stimuli', '--model', join(dir, 'model'), '--out', join(dir, 'x'), '--score', 'prob', '--backend', 'cpu']);
    assert.equal(badScore.code, 2);
    assert.match(badScore.stderr, /--score must be logit or logsoftmax/);
    const missing = await cli(['stimuli', '--model', join(dir, 'nothing'), '--out', join(dir, 'x'), '--backend', 'cpu', '--quiet']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nothing/);
  });
});
