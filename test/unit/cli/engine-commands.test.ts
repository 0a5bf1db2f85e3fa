import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir, cp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, REPO, runCli, sampleSpec } from './run-cli';

const TINY = ['--arch', 'small_resnet', '--width', '4', '--input-size', '12', '--epochs', '2', '--batch-size', '8', '--backend', 'wasm', '--quiet'];

describe('bias-audit engine commands', function () {
  this.timeout(300000);
  let dir: string;
  let foundation: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-'));
    foundation = join(dir, 'foundation');
    const r = await runCli(['pretrain', '--data', sampleSpec('pretrain'), ...TINY, '--out', foundation, '--json']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('pretrain saves a model with training.json, prints one JSON object, and records the backend', async () => {
    const files = (await readdir(foundation)).sort();
    assert.deepEqual(files, ['classes.txt', 'model.json', 'training.json', 'weights.bin']);
    const report = JSON.parse(await readFile(join(foundation, 'training.json'), 'utf8')) as { backend: { name: string; threads: number }; history: unknown[] };
    assert.equal(report.backend.name, 'wasm');
    assert.ok(report.backend.threads >= 1);
    assert.equal(report.history.length, 2);
    assert.ok(!existsSync(`${foundation}.checkpoint`), 'checkpoints removed after a successful run');
  });

  it('finetune freezes blocks, caches their activations, verifies their hashes, and --json prints only JSON', async () => {
    const out = join(dir, 'child');
    const r = await runCli(['finetune', '--from', foundation, '--data', sampleSpec('finetune', 'classes=3-5&perClass=8'), '--freeze', '2', '--epochs', '2', '--batch-size', '8', '--backend', 'wasm', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { prefixCache: { used: boolean; blocks: string[] }; verifiedFrozenBlocks: string[]; data: { classNames: string[] } };
    assert.equal(report.prefixCache.used, true);
    assert.deepEqual(report.prefixCache.blocks, ['conv1', 'conv2']);
    assert.deepEqual(report.verifiedFrozenBlocks, ['conv1', 'conv2']);
    assert.deepEqual(report.data.classNames, ['Dress', 'Coat', 'Sandal']);
    const meta = (JSON.parse(await readFile(join(out, 'model.json'), 'utf8')) as { userDefinedMetadata: { biasAudit: { lineage: { freezeDepth: number; recipe: { epochs: number } } } } }).userDefinedMetadata.biasAudit;
    assert.equal(meta.lineage.freezeDepth, 2);
    assert.equal(meta.lineage.recipe.epochs, 2);
  });

  it('scratch, eval and blocks work on the results', async () => {
    const out = join(dir, 'scratch');
    const s = await runCli(['scratch', '--like', foundation, '--data', sampleSpec('finetune'), '--epochs', '1', '--batch-size', '8', '--backend', 'wasm', '--out', out, '--quiet']);
    assert.equal(s.code, 0, s.stderr);
    const e = await runCli(['eval', '--model', out, '--data', sampleSpec('test'), '--backend', 'wasm', '--json']);
    assert.equal(e.code, 0, e.stderr);
    const report = JSON.parse(e.stdout) as { accuracy: number; count: number; confusion: number[][]; perClass: unknown[] };
    assert.equal(report.count, 24);
    assert.equal(report.confusion.flat().reduce((a, b) => a + b, 0), 24);
    assert.equal(report.perClass.length, 3);
    const b = await runCli(['blocks', foundation]);
    assert.equal(b.code, 0, b.stderr);
    for (const name of ['conv1', 'conv2', 'conv3', 'conv4']) assert.match(b.stdout, new RegExp(name));
  });

  it('an interrupted pretrain resumes from its checkpoint with --resume', async () => {
    const out = join(dir, 'resumed');
    // A first run of 1 epoch leaves a checkpoint when we keep it: simulate an interruption by asking for
    // 3 epochs, killing the process once the first epoch checkpoint exists.
    const args = ['pretrain', '--data', sampleSpec('pretrain'), ...TINY.map((a) => (a === '2' ? '3' : a)), '--out', out];
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO });
    const checkpoint = join(`${out}.checkpoint`, 'last', 'checkpoint.json');
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (existsSync(checkpoint)) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 50);
      child.on('exit', () => {
        clearInterval(timer);
        if (!existsSync(checkpoint)) reject(new Error('the run ended before writing a checkpoint'));
      });
    });
    await new Promise((r) => child.on('close', r));
    assert.ok(!existsSync(out), 'no partial output after a kill');
    const r = await runCli(['pretrain', '--data', sampleSpec('pretrain'), ...TINY.map((a) => (a === '2' ? '3' : a)), '--out', out, '--resume', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { resumedFromEpoch: number; history: unknown[] };
    assert.ok(report.resumedFromEpoch >= 1, `resumed from epoch ${report.resumedFromEpoch}`);
    assert.equal(report.history.length, 3);
  });

  describe('bad input: one clear message naming the file, a non-zero exit, no partial output', () => {
    const expectFailure = async (args: string[], pattern: RegExp, code = 1): Promise<void> => {
      const r = await runCli(args);
      assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /internal error| {4}at /, 'no stack trace');
      assert.equal(r.stdout, '', 'nothing on stdout');
    };

    it('a missing model file', async () => {
      await expectFailure(['eval', '--model', join(dir, 'nope', 'model.json'), '--data', sampleSpec('test'), '--backend', 'wasm'], /nope.*(does not exist|not found|no such)/i);
    });
    it('a corrupt model.json', async () => {
      const bad = join(dir, 'corrupt');
      await mkdir(bad, { recursive: true });
      await writeFile(join(bad, 'model.json'), '{"modelTopology": {');
      await expectFailure(['blocks', bad], /corrupt[\\/]model\.json.*JSON/i);
    });
    it('a weight shard of the wrong size', async () => {
      const bad = join(dir, 'short-weights');
      await cp(foundation, bad, { recursive: true });
      const bytes = await readFile(join(bad, 'weights.bin'));
      await writeFile(join(bad, 'weights.bin'), bytes.subarray(0, bytes.length - 40));
      await expectFailure(['eval', '--model', bad, '--data', sampleSpec('test'), '--backend', 'wasm'], /weights\.bin/);
    });
    it('an unsupported layer', async () => {
      const bad = join(dir, 'lambda');
      await cp(foundation, bad, { recursive: true });
      const json = JSON.parse(await readFile(join(bad, 'model.json'), 'utf8')) as { modelTopology: { config: { layers: { class_name: string }[] } } };
      json.modelTopology.config.layers[2].class_name = 'Lambda';
      await writeFile(join(bad, 'model.json'), JSON.stringify(json));
      await expectFailure(['blocks', bad], /Lambda/);
    });
    it('an image that does not decode', async () => {
      const data = join(dir, 'broken-images');
      await mkdir(join(data, 'a'), { recursive: true });
      await mkdir(join(data, 'b'), { recursive: true });
      await cp(join(REPO, 'test', 'fixtures', 'data', 'folder', 'circle'), join(data, 'a'), { recursive: true });
      await cp(join(REPO, 'test', 'fixtures', 'data', 'folder', 'square'), join(data, 'b'), { recursive: true });
      await writeFile(join(data, 'b', 'zz-broken.png'), 'not a png');
      await expectFailure(['pretrain', '--data', data, ...TINY, '--out', join(dir, 'never')], /zz-broken\.png/);
      assert.ok(!existsSync(join(dir, 'never')));
    });
    it('an empty class folder', async () => {
      const data = join(dir, 'empty-class');
      await mkdir(join(data, 'a'), { recursive: true });
      await mkdir(join(data, 'b'), { recursive: true });
      await cp(join(REPO, 'test', 'fixtures', 'data', 'folder', 'circle'), join(data, 'a'), { recursive: true });
      await expectFailure(['pretrain', '--data', data, ...TINY, '--out', join(dir, 'never')], /empty-class[\\/]b/);
    });
    it('a model whose classes do not fit the data', async () => {
      await expectFailure(['eval', '--model', foundation, '--data', sampleSpec('test', 'classes=0-4&perClass=2'), '--backend', 'wasm'], /3 classes but the data has 5/);
    });
    it('a loss that becomes NaN', async () => {
      await expectFailure(['pretrain', '--data', sampleSpec('pretrain'), ...TINY, '--lr', '1e30', '--out', join(dir, 'nan')], /loss became (NaN|Infinity).*lower the learning rate/);
      assert.ok(!existsSync(join(dir, 'nan')));
    });
    it('bad usage exits 2', async () => {
      await expectFailure(['finetune', '--from', foundation], /--freeze is required/, 2);
      await expectFailure(['pretrain', '--bogus'], /unknown option --bogus/, 2);
      const r = await runCli(['frobnicate']);
      assert.equal(r.code, 2);
    });
  });
});
