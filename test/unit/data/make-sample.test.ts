import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { access, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openDataset } from '../../../src/engine/data/open-dataset';
import { sha256 } from '../../../src/engine/util/hash';
import { REPO_ROOT, SAMPLE, sampleSpec, tempDir } from './helpers';

const DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist';

describe('the bundled Fashion-MNIST sample', () => {
  it('is what scripts/make-sample produces, byte for byte', async function () {
    await access(DEBIAN_FASHION_MNIST).catch(() => {
      throw new Error(`${DEBIAN_FASHION_MNIST} is missing: install Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist) to check the sample`);
    });
    const { dir, cleanup } = await tempDir();
    try {
      const out = join(dir, 'sample');
      await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'out/scripts/make-sample.js'), '--out', out]);
      const committed = (await readdir(SAMPLE)).sort();
      assert.deepEqual((await readdir(out)).sort(), committed);
      for (const name of committed) {
        assert.equal(sha256(await readFile(join(out, name))), sha256(await readFile(join(SAMPLE, name))), `${name} differs from a fresh cut`);
      }
    } finally {
      await cleanup();
    }
  });

  it('has disjoint pretrain and finetune images, credits Zalando and stays small', async () => {
    const pretrain = await openDataset(sampleSpec('pretrain'));
    const finetune = await openDataset(sampleSpec('finetune'));
    const hashes = async (data: typeof pretrain): Promise<Set<string>> => {
      const set = new Set<string>();
      for (const s of data.samples) set.add(sha256(new Uint8Array((await data.loadImage(s.index, { height: 28, width: 28, channels: 1 })).pixels)));
      return set;
    };
    const [a, b] = await Promise.all([hashes(pretrain), hashes(finetune)]);
    assert.equal([...b].filter((h) => a.has(h)).length, 0, 'no finetune image appears in pretrain');
    const license = await readFile(join(SAMPLE, 'LICENSE'), 'utf8');
    assert.match(license, /MIT License/);
    assert.match(license, /Copyright \(c\) 2017 Zalando SE/);
    assert.match(await readFile(join(SAMPLE, 'README.md'), 'utf8'), /github\.com\/zalandoresearch\/fashion-mnist/);
    let bytes = 0;
    for (const name of await readdir(SAMPLE)) bytes += (await readFile(join(SAMPLE, name))).length;
    assert.ok(bytes < 4 * 1024 * 1024, `${bytes} bytes`);
  });
});
