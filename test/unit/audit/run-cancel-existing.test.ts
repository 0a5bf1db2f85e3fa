import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAudit } from '../../../src/audit/run';
import { CancelledError } from '../../../src/engine/util/errors';
import { parseRunStatus } from '../../../src/protocol/runFiles';
import { assertNoLeak, useBackend } from '../helpers/tf';
import { sharedTinyFoundation, tempDir, tinyConfig, writeConfig } from './helpers/tiny-audit';

describe('audit run: cancel, and existing checkpoints', function () {
  this.timeout(600_000);
  let dir: string;
  let foundation: string;
  const probes = { interventions: { triggers: ['square:size=0.25,color=#ffffff,position=top-left'], bootstrapResamples: 50 } };
  before(async () => {
    await useBackend((process.env.AUDIT_TEST_BACKEND ?? 'wasm') as 'wasm');
    foundation = await sharedTinyFoundation();
    dir = await tempDir('cancel');
  });

  it('a cancelled run says so in status.json, leaks nothing, and resumes', async () => {
    const config = await writeConfig(dir, 'cancel', tinyConfig(foundation, probes, { children: { freezeDepths: ['full', 'fixed'], seeds: [0], recipe: { epochs: 2, batchSize: 8 } } }));
    const controller = new AbortController();
    await assertNoLeak(() =>
      assert.rejects(
        runAudit(config, { signal: controller.signal, onProgress: (p) => (p.stepIndex >= 1 && p.phase === 'training' ? controller.abort() : undefined) }),
        (e: unknown) => e instanceof CancelledError,
      ),
    );
    const runDir = join(dir, 'bias-audit-runs', 'cancel');
    const status = parseRunStatus(readFileSync(join(runDir, 'status.json'), 'utf8'), 'status.json');
    assert.equal(status.state, 'cancelled');
    assert.equal(status.pid, null);
    assert.equal(status.error, null);
    assert.deepEqual(status.steps.map((s) => s.state).slice(0, 2), ['done', 'cancelled']);
    const resumed = await runAudit(config);
    assert.equal(resumed.stepsReused, 1);
    assert.equal(resumed.results.lineage.children.length, 2);
  });

  it('audits existing checkpoints as they are, without training', async () => {
    const trainedDir = join(dir, 'bias-audit-runs', 'cancel', 'models');
    const config = tinyConfig(foundation, probes, {
      existingChildren: [
        { checkpoint: join(trainedDir, 'child-k4-s0'), id: 'mine-fixed', seed: 0 },
        { checkpoint: join(trainedDir, 'scratch-s0', 'model.json'), role: 'scratch', seed: 0 },
      ],
    });
    delete config.children;
    const outcome = await assertNoLeak(async () => runAudit(await writeConfig(dir, 'existing', config)));
    assert.deepEqual(outcome.timings.filter((t) => t.kind === 'train'), []);
    assert.deepEqual(outcome.results.lineage.children.map((c) => [c.id, c.freezeDepth, c.seed, c.transfer]), [['mine-fixed', 4, 0, 'fixed-feature']]);
    assert.deepEqual(outcome.results.lineage.scratch.map((c) => c.id), ['scratch-existing-s0']);
    assert.equal(outcome.results.training.length, 0);
    assert.deepEqual(outcome.results.probes.interventions?.transfer.map((t) => t.freezeDepth), [4], 'the existing child pairs with the existing scratch model by seed');
    assert.ok(outcome.results.lineage.children[0].checkpoint.endsWith('child-k4-s0/model.json'), outcome.results.lineage.children[0].checkpoint);
  });
});
