import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { loadNativeBackend, nativeKernelNames } from '../../../src/engine/backend/native';

describe('native backend: loading', () => {
  let previous: string;
  before(() => { previous = tf.getBackend(); });
  after(() => tf.setBackend(previous));

  it('registers the backend without making it active, and reports threads and the library', async () => {
    await tf.setBackend('cpu');
    const load = await loadNativeBackend();
    assert.ok(load.ok, load.ok ? '' : load.reason);
    assert.equal(tf.getBackend(), 'cpu');
    assert.ok(tf.findBackendFactory('native') !== null);
    assert.match(load.detail, /oneDNN \d+\.\d+\.\d+ \(OpenMP/);
    assert.ok(load.threads >= 1);
  });

  it('sets the thread count it is given and reports it', async () => {
    const one = await loadNativeBackend(1);
    assert.ok(one.ok && one.threads === 1, JSON.stringify(one));
    const all = await loadNativeBackend(availableParallelism());
    assert.ok(all.ok && all.threads === availableParallelism(), JSON.stringify(all));
    const bad = await loadNativeBackend(0);
    assert.ok(!bad.ok && /thread/.test(bad.reason));
  });

  it('registers every cpu kernel for native, with the heavy ones replaced', async () => {
    await loadNativeBackend();
    const nativeKernels = new Set(tf.getKernelsForBackend('native').map((k) => k.kernelName));
    for (const kernel of tf.getKernelsForBackend('cpu')) assert.ok(nativeKernels.has(kernel.kernelName), `missing ${kernel.kernelName}`);
    for (const name of ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'DepthwiseConv2dNative',
      'BatchMatMul', '_FusedMatMul', 'MaxPool', 'MaxPoolGrad', 'AvgPool', 'AvgPoolGrad', 'FusedBatchNorm']) {
      assert.ok(nativeKernelNames().includes(name), `${name} is not native`);
      assert.notEqual(tf.getKernel(name, 'native').kernelFunc, tf.getKernel(name, 'cpu').kernelFunc, `${name} is the cpu kernel`);
    }
  });

  it('without the addon, fails with a one-line reason saying how to build it (never throws)', () => {
    const script = `require(${JSON.stringify(join(__dirname, '../../../src/engine/backend/native.js'))})
      .loadNativeBackend().then((r) => process.stdout.write(JSON.stringify(r)), (e) => process.stdout.write('threw ' + e));`;
    const output = execFileSync(process.execPath, ['-e', script], {
      env: { ...process.env, BIAS_AUDIT_NATIVE_ADDON: join(__dirname, 'no-such-addon.node') },
      encoding: 'utf8',
    });
    const result = JSON.parse(output) as { ok: boolean; reason?: string };
    assert.equal(result.ok, false);
    assert.match(result.reason ?? '', /not built/);
    assert.match(result.reason ?? '', /apt-get install libdnnl-dev/);
    assert.match(result.reason ?? '', /npm run build:native/);
    assert.ok(!(result.reason ?? '').includes('\n'));
  });
});
