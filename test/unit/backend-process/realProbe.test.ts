/**
 * RunProbe through the backend as a real child process with the REAL audit service (src/audit/probe.ts): asr on a
 * small model.json, stimuli on an ONNX checkpoint (imported by openModel), and a bad request named in the error.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { openDataset } from '../../../src/engine/data/open-dataset';
import { buildSmallResNet } from '../../../src/engine/model/builders/small-resnet';
import { asFoundation } from '../../../src/engine/model/foundation';
import { saveModel } from '../../../src/engine/model/save';
import { GetStatus, Initialize, JobFinished, RunProbe, type JobOutcome } from '../../../src/protocol/backendProtocol';
import { assertNoLeak, useBackend } from '../helpers/tf';

const ROOT = join(__dirname, '../../../..');
const MAIN = join(ROOT, 'out/src/backend/main.js');
const SAMPLE = join(ROOT, 'samples/fashion-mnist');
const TEST_SPEC = `idx:${SAMPLE}/test-images-idx3-ubyte.gz,${SAMPLE}/test-labels-idx1-ubyte.gz?classes=0-2&perClass=5`;
const ONNX = join(ROOT, 'test/fixtures/import/tiny-cnn.onnx');

describe('backend process: RunProbe with the real audit', function () {
  this.timeout(120000);
  let dir: string;
  let modelPath: string;
  let child: ChildProcess;
  let connection: MessageConnection;
  const outcomes = new Map<string, JobOutcome>();
  const waiting = new Map<string, (o: JobOutcome) => void>();
  const finished = (jobId: string): Promise<JobOutcome> => (outcomes.has(jobId) ? Promise.resolve(outcomes.get(jobId)!) : new Promise((resolve) => waiting.set(jobId, resolve)));
  const probe = async (params: Omit<RunProbe.Params, 'computeBackend'>): Promise<JobOutcome> => finished((await connection.sendRequest(RunProbe.type, { ...params, computeBackend: null })).jobId);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'real-probe-'));
    const data = await openDataset(TEST_SPEC);
    await useBackend('cpu');
    await assertNoLeak(async () => {
      const model = buildSmallResNet({ inputShape: [12, 12, 1], numClasses: 3, seed: 1, width: 4 });
      try {
        await saveModel(asFoundation(model, { classNames: [...data.classNames], normalization: { scale: 1 / 255, mean: [0.3], std: [0.35] }, seed: 1 }), join(dir, 'model'));
      } finally {
        model.dispose();
      }
    });
    modelPath = join(dir, 'model', 'model.json');
    child = spawn(process.execPath, [MAIN], { env: { ...process.env, XDG_CACHE_HOME: join(dir, 'cache') }, stdio: ['pipe', 'pipe', 'inherit'] });
    connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    connection.onNotification(JobFinished.type, (o) => {
      outcomes.set(o.jobId, o);
      waiting.get(o.jobId)?.(o);
    });
    connection.listen();
    await connection.sendRequest(Initialize.type, { parentPid: process.pid, clientVersion: 'test', computeBackend: 'cpu', threads: null });
  });

  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('asr: measures the attack success rate of a trigger on labelled data', async () => {
    const outcome = await probe({ probe: 'asr', modelPath, dataSpec: TEST_SPEC, trigger: 'square:size=0.5,color=white,position=center', targetClass: 1, outDir: null, params: { bootstrapResamples: 50 } });
    assert.equal(outcome.state, 'done', outcome.error?.message);
    const r = outcome.probeResult as { probe: string; testImages: number; asr: number; asrDenominator: number; cleanAccuracy: number; targetClass: number; histogram: { classNames: string[]; clean: number[]; triggered: number[] }; backend: { name: string } };
    assert.equal(r.probe, 'asr');
    assert.equal(r.testImages, 15);
    assert.equal(r.targetClass, 1);
    assert.deepEqual(r.histogram.classNames, ['T-shirt/top', 'Trouser', 'Pullover']);
    assert.equal(r.histogram.clean.reduce((a, b) => a + b, 0), 15);
    assert.equal(r.histogram.triggered.reduce((a, b) => a + b, 0), 15);
    assert.equal(r.asrDenominator, Math.round(r.cleanAccuracy * 15));
    assert.ok(r.asr >= 0 && r.asr <= 1);
    assert.equal(r.backend.name, 'cpu');
    assert.equal((await connection.sendRequest(GetStatus.type)).realAudit, true);
  });

  it('stimuli: imports an ONNX checkpoint and writes one PNG per class and stimuli.json', async () => {
    const outDir = join(dir, 'stimuli');
    const outcome = await probe({ probe: 'stimuli', modelPath: ONNX, dataSpec: null, trigger: null, targetClass: null, outDir, params: { steps: 3, classes: [0, 1] } });
    assert.equal(outcome.state, 'done', outcome.error?.message);
    const r = outcome.probeResult as { probe: string; out: string; stimuli: { image: string; foundationClass: number }[] };
    assert.equal(r.out, outDir);
    assert.deepEqual(r.stimuli.map((s) => s.foundationClass), [0, 1]);
    assert.deepEqual(readdirSync(outDir).filter((f) => f.endsWith('.png')).sort(), ['class-000.png', 'class-001.png']);
    const manifest = JSON.parse(readFileSync(join(outDir, 'stimuli.json'), 'utf8')) as { model: string; stimuli: unknown[] };
    assert.equal(manifest.model, ONNX);
    assert.deepEqual(manifest.stimuli, r.stimuli);
  });

  it('fails a request without its required input, naming the field; bad parameters name theirs', async () => {
    const missing = await probe({ probe: 'stimuli', modelPath, dataSpec: null, trigger: null, targetClass: null, outDir: null });
    assert.equal(missing.state, 'failed');
    assert.deepEqual([missing.error?.code, missing.error?.file], ['BAD_REQUEST', 'outDir']);
    const bad = await probe({ probe: 'stimuli', modelPath, dataSpec: null, trigger: null, targetClass: null, outDir: join(dir, 'never'), params: { steps: 0 } });
    assert.equal(bad.state, 'failed');
    assert.equal(bad.error?.file, 'params.steps');
    assert.equal(existsSync(join(dir, 'never')), false, 'a failed probe must not write anything');
    const noModel = await probe({ probe: 'asr', modelPath: join(dir, 'missing', 'model.json'), dataSpec: TEST_SPEC, trigger: 'square', targetClass: null, outDir: null });
    assert.equal(noModel.state, 'failed');
    assert.match(noModel.error?.message ?? '', /missing/);
  });
});
