// The backend selection: the order `auto` tries, the line it prints, the errors for bad names and for
// backends that cannot start (with the tensorflow install hint), and the guarded native module.
import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import type { BackendLoadOutcome } from '../../../src/engine/backend/load-outcome';
import { loadNativeBackendGuarded } from '../../../src/engine/backend/native-loader';
import {
  type BackendLoader,
  type ConcreteBackend,
  currentBackendInfo,
  defaultBackendLoaders,
  initBackend,
  parseBackendChoice,
} from '../../../src/engine/backend/select';
import { loadTensorflowBackend, TENSORFLOW_PACKAGES } from '../../../src/engine/backend/tensorflow-backend';
import { AuditError, UsageError } from '../../../src/engine/util/errors';
import { useBackend } from '../helpers/tf';

/** Loaders that record the order they are tried in and answer as scripted. */
function scriptedLoaders(answers: Partial<Record<ConcreteBackend, BackendLoadOutcome>>) {
  const tried: ConcreteBackend[] = [];
  const loader = (name: ConcreteBackend): BackendLoader => async () => {
    tried.push(name);
    return answers[name] ?? { ok: false, reason: `${name} not scripted` };
  };
  const loaders = { tensorflow: loader('tensorflow'), native: loader('native'), wasm: loader('wasm'), cpu: loader('cpu') };
  return { tried, loaders };
}

const runs = (detail: string): BackendLoadOutcome => ({ ok: true, threads: 3, simd: true, detail });

function moduleNotFound(name: string): Error {
  return Object.assign(new Error(`Cannot find module '${name}'\nRequire stack:\n- x.js`), { code: 'MODULE_NOT_FOUND' });
}

describe('backend selection', function () {
  after(async () => {
    await useBackend('wasm');
  });

  it('auto tries tensorflow, then native, then wasm, and says why it skipped each', async () => {
    const { tried, loaders } = scriptedLoaders({
      tensorflow: { ok: false, reason: 'no tfjs-node here' },
      native: { ok: false, reason: 'addon not built' },
      wasm: runs('fake wasm'),
    });
    const lines: string[] = [];
    const info = await initBackend({ backend: 'auto', threads: 3, log: (line) => lines.push(line) }, loaders);
    assert.deepEqual(tried, ['tensorflow', 'native', 'wasm']);
    assert.deepEqual(info, { name: 'wasm', threads: 3, simd: true, detail: 'auto chose fake wasm (tensorflow skipped: no tfjs-node here; native skipped: addon not built)' });
    assert.deepEqual(lines, [`backend: ${info.detail}`]);
    assert.deepEqual(currentBackendInfo(), info);
  });

  it('auto takes the first backend that starts and tries no other', async () => {
    const { tried, loaders } = scriptedLoaders({ tensorflow: runs('fake tensorflow'), wasm: runs('fake wasm') });
    const info = await initBackend({ backend: 'auto', log: () => undefined }, loaders);
    assert.deepEqual(tried, ['tensorflow']);
    assert.equal(info.name, 'tensorflow');
  });

  it('auto ends on cpu, and fails naming every reason when nothing starts', async () => {
    const fallback = scriptedLoaders({ cpu: runs('fake cpu') });
    assert.equal((await initBackend({ backend: 'auto', log: () => undefined }, fallback.loaders)).name, 'cpu');
    assert.deepEqual(fallback.tried, ['tensorflow', 'native', 'wasm', 'cpu']);
    const none = scriptedLoaders({});
    await assert.rejects(
      initBackend({ backend: 'auto', log: () => undefined }, none.loaders),
      (e: unknown) => e instanceof AuditError && e.code === 'BACKEND_UNAVAILABLE' && /tensorflow not scripted.*native not scripted.*wasm not scripted.*cpu not scripted/.test(e.message),
    );
  });

  it('an explicit backend that cannot start is an AuditError with its reason, and nothing else is tried', async () => {
    const { tried, loaders } = scriptedLoaders({ native: { ok: false, reason: 'addon not built: run npm run build:native' }, wasm: runs('fake wasm') });
    await assert.rejects(
      initBackend({ backend: 'native', log: () => undefined }, loaders),
      (e: unknown) => e instanceof AuditError && e.message === "backend 'native' is unavailable: addon not built: run npm run build:native",
    );
    assert.deepEqual(tried, ['native']);
  });

  it('rejects unknown backend names and thread counts as usage errors', async () => {
    assert.throws(() => parseBackendChoice('gpu'), (e: unknown) => e instanceof UsageError && /unknown backend 'gpu'; choose one of auto, wasm, tensorflow, cpu, native/.test(e.message));
    await assert.rejects(initBackend({ backend: 'webgl' as never, log: () => undefined }), UsageError);
    for (const threads of [0, -2, 1.5, Number.NaN]) {
      await assert.rejects(initBackend({ backend: 'cpu', threads, log: () => undefined }), UsageError, `threads ${threads}`);
    }
  });

  describe('tensorflow', () => {
    it('when neither package is installed: says how to install, and that the GPU build needs CUDA 11.2 / cuDNN 8.1', async () => {
      const tried: string[] = [];
      const outcome = await loadTensorflowBackend((name) => {
        tried.push(name);
        throw moduleNotFound(name);
      });
      assert.deepEqual(tried, [...TENSORFLOW_PACKAGES]);
      assert.equal(outcome.ok, false);
      const reason = outcome.ok ? '' : outcome.reason;
      assert.match(reason, /neither @tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node is installed/);
      assert.match(reason, /install @tensorflow\/tfjs-node@4\.22\.0/);
      assert.match(reason, /CUDA 11\.2 and cuDNN 8\.1/);
    });

    it('when one is installed but fails to load: says which and why', async () => {
      const outcome = await loadTensorflowBackend((name) => {
        if (name === '@tensorflow/tfjs-node-gpu') throw new Error('libcudart.so.11.0: cannot open shared object file');
        throw moduleNotFound(name);
      });
      assert.equal(outcome.ok, false);
      assert.match(outcome.ok ? '' : outcome.reason, /@tensorflow\/tfjs-node-gpu is installed but failed to load: libcudart\.so\.11\.0/);
    });

    it('with the real resolver: an AuditError with the install hint when absent, the tensorflow backend when present', async () => {
      const installed = TENSORFLOW_PACKAGES.filter((name) => {
        try {
          require.resolve(name);
          return true;
        } catch {
          return false;
        }
      });
      if (installed.length === 0) {
        await assert.rejects(
          initBackend({ backend: 'tensorflow', log: () => undefined }),
          (e: unknown) => e instanceof AuditError && e.code === 'BACKEND_UNAVAILABLE' && /CUDA 11\.2 and cuDNN 8\.1/.test(e.message),
        );
      } else {
        const info = await initBackend({ backend: 'tensorflow', log: () => undefined });
        assert.equal(info.name, 'tensorflow');
        assert.equal(tf.getBackend(), 'tensorflow');
      }
    });
  });

  describe('native (guarded)', () => {
    it('a missing module, a module without the entry point, a refusal and a throw each give a reason', async () => {
      const missing = await loadNativeBackendGuarded(2, () => {
        throw moduleNotFound('./native');
      });
      assert.match(missing.ok ? '' : missing.reason, /the native backend module is unavailable: Cannot find module '\.\/native'/);
      const empty = await loadNativeBackendGuarded(2, () => ({}) as never);
      assert.match(empty.ok ? '' : empty.reason, /exports no loadNativeBackend/);
      const refused = await loadNativeBackendGuarded(2, () => ({ loadNativeBackend: async () => ({ ok: false as const, reason: 'addon not built' }) }));
      assert.deepEqual(refused, { ok: false, reason: 'addon not built' });
      const thrown = await loadNativeBackendGuarded(2, () => ({
        loadNativeBackend: async () => {
          throw new Error('bad ELF');
        },
      }));
      assert.match(thrown.ok ? '' : thrown.reason, /the native backend failed to load: bad ELF/);
    });

    it('with the real module: either runs as the tfjs backend "native" or says why not', async () => {
      const outcome = await defaultBackendLoaders.native(1);
      if (outcome.ok) {
        assert.equal(tf.getBackend(), 'native');
        assert.ok(outcome.threads >= 1);
      } else {
        assert.ok(outcome.reason.length > 0);
      }
    });
  });

  it('real auto on this machine: picks native or wasm and reports why tensorflow was skipped', async () => {
    const lines: string[] = [];
    const info = await initBackend({ backend: 'auto', log: (line) => lines.push(line) });
    assert.ok(['native', 'wasm', 'tensorflow'].includes(info.name), info.detail);
    assert.equal(tf.getBackend(), info.name);
    if (info.name !== 'tensorflow') assert.match(info.detail, /tensorflow skipped: /);
    assert.equal(lines.length, 1);
  });

  it('cpu runs the pure-JavaScript backend', async () => {
    const info = await initBackend({ backend: 'cpu', log: () => undefined });
    assert.deepEqual([info.name, tf.getBackend(), info.threads, info.simd], ['cpu', 'cpu', 1, false]);
  });
});
