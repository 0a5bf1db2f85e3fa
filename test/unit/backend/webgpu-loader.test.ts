// The webgpu loader's answers when its optional packages or a GPU are missing (the backend itself is tested
// against cpu by `npm run test:webgpu`, which needs a GPU or a software Vulkan).
import { strict as assert } from 'node:assert';
import { loadWebgpuBackend, WEBGPU_INSTALL_HINT } from '../../../src/engine/backend/webgpu-backend';

function moduleNotFound(name: string): Error {
  return Object.assign(new Error(`Cannot find package '${name}'`), { code: 'ERR_MODULE_NOT_FOUND' });
}

describe('webgpu backend loader', () => {
  it('says that webgpu is not installed, and how to install it', async () => {
    const outcome = await loadWebgpuBackend(async (name) => { throw moduleNotFound(name); });
    assert.deepEqual(outcome, { ok: false, reason: `webgpu is not installed; ${WEBGPU_INSTALL_HINT}` });
  });

  it('says what broke when the Dawn addon fails to load', async () => {
    const outcome = await loadWebgpuBackend(async () => { throw new Error('libvulkan.so.1: cannot open shared object file\nstack'); });
    assert.equal(outcome.ok, false);
    assert.match(!outcome.ok ? outcome.reason : '', /^webgpu is installed but failed to load: libvulkan\.so\.1: cannot open shared object file;/);
  });

  it('says that no GPU adapter was found, before loading the tfjs backend', async () => {
    const asked: string[] = [];
    const outcome = await loadWebgpuBackend(async (name) => {
      asked.push(name);
      return { create: () => ({ requestAdapter: async () => null }), globals: {} };
    }, []);
    assert.equal(outcome.ok, false);
    assert.match(!outcome.ok ? outcome.reason : '', /no GPU adapter/);
    assert.deepEqual(asked, ['webgpu']);
  });

  it('says that tfjs-backend-webgpu is missing when Dawn has an adapter', async () => {
    const outcome = await loadWebgpuBackend(async (name) => {
      if (name === 'webgpu') return { create: () => ({ requestAdapter: async () => ({ info: {} }) }), globals: {} };
      throw moduleNotFound(name);
    }, []);
    assert.deepEqual(outcome, { ok: false, reason: `@tensorflow/tfjs-backend-webgpu is not installed; ${WEBGPU_INSTALL_HINT}` });
    // The globals set for tfjs-backend-webgpu are taken back: nothing else sees a fake navigator.gpu.
    assert.equal((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu, undefined);
  });
});
