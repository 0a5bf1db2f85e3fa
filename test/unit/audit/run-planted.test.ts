import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProblemList } from '../../../src/audit/config/config-error';
import { loadAuditConfig } from '../../../src/audit/config/resolve-config';
import { prepareProbes } from '../../../src/audit/probes/prepare-probes';
import { runAudit, type RunAuditOutcome } from '../../../src/audit/run';
import { openAuditInputs } from '../../../src/audit/run/open-inputs';
import { planRun } from '../../../src/audit/run/plan';
import { assertNoLeak, useBackend } from '../helpers/tf';
import { checkAgainstProtocolType } from './helpers/protocol-type-check';
import { sampleSpec, sharedTinyFoundation, tempDir, tinyConfig, writeConfig } from './helpers/tiny-audit';

/**
 * The run side of the planted-bias experiment (the probe's own direction test lives with the probe): the run
 * pretrains a planted source and its clean twin, derives fixed-feature and full-network children of both on the
 * clean and the de-biased target data, and measures all of them and the scratch baseline.
 */
describe('audit run: planted bias (tiny)', function () {
  this.timeout(900_000);
  let outcome: RunAuditOutcome;
  let dir: string;
  const planted = {
    trigger: 'square:size=0.3,color=#ffffff,position=top-left', plantClass: 'Trouser', plantFraction: 0.5, debiasFraction: 0.5,
    sourceData: { train: sampleSpec('pretrain', 'classes=0-2&perClass=30'), test: sampleSpec('test', 'classes=0-2&perClass=16') },
    sourceRecipe: { epochs: 2, batchSize: 16, validationFraction: 0 },
  };

  before(async () => {
    await useBackend((process.env.AUDIT_TEST_BACKEND ?? 'wasm') as 'wasm');
    const foundation = await sharedTinyFoundation();
    dir = await tempDir('planted');
    const config = await writeConfig(dir, 'planted', tinyConfig(foundation, { plantedBias: planted }, { children: { freezeDepths: ['fixed'], seeds: [0], recipe: { epochs: 1, batchSize: 16, validationFraction: 0.2 } } }));
    outcome = await assertNoLeak(() => runAudit(config));
  });

  it('pretrains both sources and derives every planted-bias child', () => {
    const { lineage } = outcome.results;
    assert.deepEqual(lineage.sources?.map((s) => `${s.id}/${s.role}/${s.sourceId}`), ['source-planted/foundation/planted', 'source-clean/foundation/clean']);
    for (const s of lineage.sources ?? []) assert.ok(existsSync(join(outcome.runDir, s.checkpoint)), s.checkpoint);
    assert.deepEqual(lineage.children.map((c) => c.id).sort(), [
      'child-clean-k0-s0', 'child-clean-k0-s0-debiased', 'child-clean-k4-s0', 'child-clean-k4-s0-debiased', 'child-k4-s0',
      'child-planted-k0-s0', 'child-planted-k0-s0-debiased', 'child-planted-k4-s0', 'child-planted-k4-s0-debiased',
    ]);
    assert.equal(lineage.children.find((c) => c.id === 'child-planted-k4-s0-debiased')?.trainingData, 'debiased');
    assert.equal(lineage.children.find((c) => c.id === 'child-clean-k0-s0')?.sourceId, 'clean');
    assert.ok(outcome.results.training.some((t) => t.modelId === 'source-planted' && t.epochs.length === 2));
  });

  it('measures sources, children and scratch and fills the planted-bias section', () => {
    const p = outcome.results.probes.plantedBias!;
    assert.equal(p.plantClassName, 'Trouser');
    assert.deepEqual(p.sources.map((s) => s.modelId), ['source-planted', 'source-clean']);
    assert.equal(p.rows.length, 2 * 2 * 2, 'source x transfer x target data');
    assert.deepEqual(p.scratch.modelIds, ['scratch-s0']);
    assert.ok(p.expectations.length > 0);
    assert.deepEqual(checkAgainstProtocolType(JSON.parse(readFileSync(join(outcome.runDir, 'results.json'), 'utf8')), 'src/protocol/results.ts', 'AuditResults'), []);
    assert.ok(readFileSync(join(outcome.runDir, 'report.html'), 'utf8').includes('<section id="planted-bias">'));
  });

  it('audits given source checkpoints as they are (no pretraining)', async () => {
    const config = await writeConfig(dir, 'given-sources', tinyConfig(await sharedTinyFoundation(), {
      plantedBias: { ...planted, sources: { planted: join(outcome.runDir, 'models', 'source-planted', 'model.json'), clean: join(outcome.runDir, 'models', 'source-clean') } },
    }, { children: { freezeDepths: ['fixed'], seeds: [0], recipe: { epochs: 1 } } }));
    const resolved = await loadAuditConfig(config);
    const problems = new ProblemList();
    const opened = await openAuditInputs(resolved, problems, () => undefined);
    assert.ok(opened);
    const probes = await prepareProbes(opened.inputs, problems);
    assert.equal(problems.size, 0, problems.list().map((x) => `${x.path}: ${x.message}`).join('\n'));
    try {
      const plan = planRun({ config: resolved, inputs: opened.inputs, existing: [], blocks: opened.blocks, probes, toolVersion: 'test' });
      assert.equal(plan.steps.filter((s) => s.kind === 'pretrain').length, 0);
      assert.deepEqual(plan.sources.map((s) => s.identity), outcome.results.lineage.sources?.map((s) => s.contentHash), 'the sources are keyed by their content hash');
      assert.ok(plan.steps.some((s) => s.label === 'train child of planted K=4 seed 0'));
    } finally {
      opened.inputs.foundation.loaded.model.dispose();
      for (const p of probes) for (const s of p.training?.sources ?? []) s.loaded?.model.dispose();
    }
  });
});
