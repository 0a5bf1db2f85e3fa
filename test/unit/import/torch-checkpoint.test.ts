import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateDict } from '../../../src/engine/import/checkpoint-tensor';
import { importCheckpoint } from '../../../src/engine/import/import-checkpoint';
import { readSafetensors } from '../../../src/engine/import/safetensors';
import { extractStateDict } from '../../../src/engine/import/state-dict';
import { readTorchCheckpoint } from '../../../src/engine/import/torch-checkpoint';
import { AuditError } from '../../../src/engine/util/errors';
import { fixture } from './import-test-helpers';

/** The file the malicious fixtures would create if their pickle ever ran. */
const MARKER = '/tmp/bias-audit-pickle-was-executed';

function stateDictOf(name: string): { stateDict: StateDict; foundAt: string } {
  return extractStateDict(readTorchCheckpoint(readFileSync(fixture(name)), name), name);
}

function assertSameTensors(a: StateDict, b: StateDict): void {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [name, t] of a) {
    const other = b.get(name)!;
    assert.deepEqual(t.shape, other.shape, name);
    assert.deepEqual(Array.from(t.values), Array.from(other.values), name);
  }
}

describe('import: PyTorch checkpoints', () => {
  it('reads the zip and legacy layouts to the same state dict as the safetensors copy', () => {
    const zip = stateDictOf('resnet18-narrow.pt');
    const legacy = stateDictOf('resnet18-narrow.legacy.pt');
    const safetensors = readSafetensors(readFileSync(fixture('resnet18-narrow.safetensors')), 'x').tensors;
    assert.equal(zip.foundAt, '(top level)');
    assert.equal(zip.stateDict.size, 122);
    assertSameTensors(zip.stateDict, safetensors);
    assertSameTensors(legacy.stateDict, safetensors);
    assert.deepEqual(zip.stateDict.get('layer2.0.downsample.0.weight')!.shape, [8, 4, 1, 1]);
    assert.equal(zip.stateDict.get('bn1.num_batches_tracked')!.values[0], 7);
  });

  it('materialises views (transposed, offset, strided) and non-float32 storages like tensor.float()', () => {
    const expected = JSON.parse(readFileSync(fixture('views.expected.json'), 'utf8')) as Record<string, { shape: number[]; values: number[] }>;
    const { stateDict } = stateDictOf('views.pt');
    for (const [name, want] of Object.entries(expected)) {
      const got = stateDict.get(name);
      assert.ok(got, name);
      assert.deepEqual(got.shape, want.shape, name);
      assert.deepEqual(Array.from(got.values), want.values.map((v) => Math.fround(v)), name);
    }
    assert.equal(stateDict.get('half')!.storedAs, 'torch.HalfStorage');
  });

  it('unwraps {"state_dict": {"module.*": ...}} training checkpoints', () => {
    const { stateDict, foundAt } = stateDictOf('resnet50-narrow.pth');
    assert.equal(foundAt, 'state_dict');
    assert.ok(stateDict.has('conv1.weight'));
    assert.ok(stateDict.has('layer1.0.conv3.weight'));
    assert.ok(![...stateDict.keys()].some((k) => k.startsWith('module.')));
  });

  for (const [file, global] of [
    ['malicious-os-system.pt', /os\.system \(pickled as posix\.system\)/],
    ['malicious-subprocess.pt', /subprocess\.check_call/],
    ['malicious-eval.pt', /builtins\.eval \(pickled as __builtin__\.eval\)/],
  ] as const) {
    it(`refuses ${file} without executing it, naming the file and the global`, async () => {
      const path = fixture(file);
      await assert.rejects(
        importCheckpoint(path),
        (e: unknown) => e instanceof AuditError && e.code === 'UNSAFE_PICKLE' && e.message.startsWith(`${path}: refusing to load`) && global.test(e.message),
      );
      assert.equal(existsSync(MARKER), false, `${MARKER} exists: something executed a pickle payload`);
    });
  }

  it('tells the user to save a state_dict when given a whole pickled nn.Module', async () => {
    const path = fixture('whole-module.pt');
    await assert.rejects(
      importCheckpoint(path),
      (e: unknown) =>
        e instanceof AuditError && e.code === 'PICKLED_MODULE' && e.message.startsWith(`${path}: is a whole pickled nn.Module`) && /torch\.save\(model\.state_dict\(\), path\)/.test(e.message),
    );
  });

  it('refuses a truncated zip checkpoint, naming the file and the cause', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'import-pt-'));
    try {
      const bytes = readFileSync(fixture('resnet18-narrow.pt'));
      const cut = join(dir, 'cut.pt');
      await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
      await assert.rejects(importCheckpoint(cut), (e: unknown) => e instanceof AuditError && e.message === `${cut}: zip archive end of central directory not found: the file is truncated or not a zip archive`);
      // A legacy checkpoint cut inside its storages.
      const legacy = readFileSync(fixture('resnet18-narrow.legacy.pt'));
      const cutLegacy = join(dir, 'cut-legacy.pt');
      await writeFile(cutLegacy, legacy.subarray(0, legacy.length - 100));
      await assert.rejects(importCheckpoint(cutLegacy), (e: unknown) => e instanceof AuditError && e.message.startsWith(`${cutLegacy}: storage`) && /ends early|truncated/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses files that are not checkpoints', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'import-pt-'));
    try {
      const text = join(dir, 'notes.pt');
      await writeFile(text, 'hello');
      await assert.rejects(importCheckpoint(text), /notes\.pt: is not a PyTorch checkpoint/);
      await assert.rejects(importCheckpoint(join(dir, 'missing.pth')), /missing\.pth: checkpoint not found/);
      await assert.rejects(importCheckpoint(join(dir, 'model.h5')), /model\.h5: is not an importable checkpoint/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
