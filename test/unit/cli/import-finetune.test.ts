import { strict as assert } from 'node:assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, runCli } from './run-cli';

/**
 * Issue 6's evidence: a ResNet-18 state dict (torchvision names, narrow widths; written by PyTorch in
 * scripts/make-import-fixtures.py) imported without Python, finetuned for one epoch with `stem, layer1`
 * frozen, and the frozen blocks' weight hashes unchanged after training.
 */
describe('an imported PyTorch ResNet-18 finetunes with frozen stem and layer1', function () {
  this.timeout(300000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'import-finetune-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('bias-audit finetune --from resnet18-narrow.pt --freeze 2', async () => {
    const out = join(dir, 'child');
    const checkpoint = join(REPO, 'test', 'fixtures', 'import', 'resnet18-narrow.pt');
    const data = join(REPO, 'test', 'fixtures', 'data', 'folder');
    const blocks = await runCli(['blocks', checkpoint, '--input-shape', '29x35x3'], { env: { XDG_CACHE_HOME: dir } });
    assert.equal(blocks.code, 0, blocks.stderr);
    assert.match(blocks.stdout, /stem[\s\S]*layer1[\s\S]*layer2[\s\S]*layer3[\s\S]*layer4/);
    const r = await runCli(
      ['finetune', '--from', checkpoint, '--input-shape', '29x35x3', '--data', data, '--freeze', '2', '--epochs', '1', '--batch-size', '4', '--val-fraction', '0', '--backend', 'wasm', '--out', out, '--json'],
      { env: { XDG_CACHE_HOME: dir } },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /(imported|using the cached import of) .*resnet18-narrow\.pt: pytorch resnet18/);
    const report = JSON.parse(r.stdout) as { verifiedFrozenBlocks: string[]; history: { trainLoss: number }[] };
    assert.deepEqual(report.verifiedFrozenBlocks, ['stem', 'layer1']);
    assert.equal(report.history.length, 1);
    // The saved child carries the frozen hashes taken at derivation; they equal the hashes after training.
    const meta = (JSON.parse(await readFile(join(out, 'model.json'), 'utf8')) as { userDefinedMetadata: { biasAudit: { frozenWeightHashes: Record<string, string>; lineage: { frozenBlocks: string[]; parentHash: string } } } }).userDefinedMetadata.biasAudit;
    assert.deepEqual(meta.lineage.frozenBlocks, ['stem', 'layer1']);
    assert.deepEqual(Object.keys(meta.frozenWeightHashes), ['stem', 'layer1']);
    // A second use of the checkpoint comes from the import cache.
    const again = await runCli(['blocks', checkpoint, '--input-shape', '29x35x3'], { env: { XDG_CACHE_HOME: dir } });
    assert.match(again.stderr, /using the cached import/);
  });
});
