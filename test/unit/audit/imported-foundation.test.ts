import { strict as assert } from 'node:assert';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runAudit } from '../../../src/audit/run';
import { useBackend } from '../helpers/tf';
import { REPO, sampleSpec, tempDir, writeConfig } from './helpers/tiny-audit';

/**
 * Issue 6 end to end: an audit whose foundation is a PyTorch checkpoint (torchvision ResNet-18 names, written by
 * PyTorch in scripts/make-import-fixtures.py), with its preprocessing given in the config. The run imports it,
 * derives a child with `stem, layer1` frozen, trains it and runs a probe on it.
 */
describe('an audit of a PyTorch foundation checkpoint', function () {
  this.timeout(300000);
  let dir: string;
  before(async () => {
    await useBackend('wasm');
    dir = await tempDir('imported');
    process.env.XDG_CACHE_HOME = join(dir, 'cache');
  });
  after(async () => {
    delete process.env.XDG_CACHE_HOME;
    await rm(dir, { recursive: true, force: true });
  });

  it('imports resnet18-narrow.pt, finetunes a child with stem and layer1 frozen, and measures it', async () => {
    const config = await writeConfig(dir, 'imported', {
      foundation: { checkpoint: join(REPO, 'test', 'fixtures', 'import', 'resnet18-narrow.pt'), inputShape: [28, 28, 3], normalization: 'unit' },
      target: { train: sampleSpec('finetune', 'classes=0-2&perClass=12'), test: sampleSpec('test', 'classes=0-2&perClass=8') },
      children: { freezeDepths: [2], seeds: [0], scratch: false, recipe: { epochs: 1, batchSize: 12, validationFraction: 0 } },
      probes: { interventions: { triggers: ['square:size=0.25,color=#ffffff,position=top-left'] } },
    });
    const logs: string[] = [];
    const outcome = await runAudit(config, { outDir: join(dir, 'runs'), onLog: (_level, line) => logs.push(line) });
    assert.ok(logs.some((l) => /imported .*resnet18-narrow\.pt \(pytorch resnet18/.test(l)), logs.join('\n'));
    const results = JSON.parse(await readFile(join(outcome.runDir, 'results.json'), 'utf8')) as {
      lineage: { blocks: string[]; children: { id: string; freezeDepth: number; frozenBlocksVerified: boolean | null }[] };
      probes: { interventions?: { perModel: { modelId: string; cleanAccuracy: number }[] } };
    };
    assert.deepEqual(results.lineage.blocks, ['stem', 'layer1', 'layer2', 'layer3', 'layer4']);
    assert.equal(results.lineage.children.length, 1);
    assert.equal(results.lineage.children[0].freezeDepth, 2);
    assert.equal(results.lineage.children[0].frozenBlocksVerified, true);
    const measured = results.probes.interventions?.perModel.find((m) => m.modelId === results.lineage.children[0].id);
    assert.ok(measured && measured.cleanAccuracy >= 0 && measured.cleanAccuracy <= 1, 'the probe measured the child');
  });
});
