import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { regenerateReport } from '../../../src/audit/report/write-report';
import type { RunManifest } from '../../../src/audit/run-folder/manifest';
import { runAudit, type RunAuditOutcome } from '../../../src/audit/run';
import type { AuditProgress } from '../../../src/audit/run/run-types';
import { parseRunStatus } from '../../../src/protocol/runFiles';
import type { AuditResults } from '../../../src/protocol/results';
import { assertNoLeak, useBackend } from '../helpers/tf';
import { checkAgainstProtocolType } from './helpers/protocol-type-check';
import { makeAttributeManifest, makeConceptFolders, sharedTinyFoundation, tempDir, writeConfig } from './helpers/tiny-audit';

/** results.json without what differs between two runs of the same config (times, reuse flags, speeds). */
export function comparable(results: AuditResults): unknown {
  return JSON.parse(JSON.stringify(results, (key, value: unknown) => (['startedAt', 'finishedAt', 'wallSeconds', 'reused', 'imagesPerSecond'].includes(key) ? undefined : value)));
}

describe('audit run end to end (tiny)', function () {
  this.timeout(900_000);
  let outcome: RunAuditOutcome;
  let runDir: string;
  let config: string;
  const progress: AuditProgress[] = [];
  const epochs: string[] = [];

  before(async () => {
    await useBackend((process.env.AUDIT_TEST_BACKEND ?? 'wasm') as 'wasm');
    const foundation = await sharedTinyFoundation();
    const dir = await tempDir('e2e');
    const manifest = await makeAttributeManifest(dir);
    await makeConceptFolders(dir);
    config = await writeConfig(dir, 'tiny', {
      foundation,
      target: { train: `${manifest}?split=train`, test: { spec: manifest, split: 'test' } },
      children: { freezeDepths: ['full', 'fixed'], seeds: [0, 1], recipe: { epochs: 1, batchSize: 16, validationFraction: 0.2 } },
      probes: {
        strongStimuli: { steps: 6, batchSize: 3 },
        interventions: { triggers: ['square:size=0.25,color=#ffffff,position=top-left', { spec: 'circle:size=0.3,color=#808080,position=center', id: 'grey-dot', targetClass: 'Trouser' }], bootstrapResamples: 100 },
        groupDisparity: { attribute: 'tone', interventions: [{ kind: 'none' }, { kind: 'reweight' }] },
        associations: { concepts: 'concepts', subsetSize: 5, repeats: 4, weat: { targets: ['Sandal', 'Sneaker'], attributes: ['Bag', 'Coat'] } },
      },
    });
    outcome = await assertNoLeak(() => runAudit(config, { onProgress: (p) => progress.push(p), onEpoch: (id, _label, e) => epochs.push(`${id}@${e.epoch}`) }));
    runDir = outcome.runDir;
  });

  it('writes every file of the run folder', () => {
    for (const f of ['manifest.json', 'results.json', 'status.json', 'report.html']) assert.ok(existsSync(join(runDir, f)), f);
    for (const f of outcome.results.files.csv) assert.ok(existsSync(join(runDir, f)), f);
    assert.ok(outcome.results.files.csv.length >= 10, outcome.results.files.csv.join(', '));
    for (const m of [...outcome.results.lineage.children, ...outcome.results.lineage.scratch]) assert.ok(existsSync(join(runDir, m.checkpoint)), m.checkpoint);
    const stimuli = readdirSync(join(runDir, 'stimuli')).filter((f) => f.endsWith('.png'));
    assert.equal(stimuli.length, 3);
    assert.deepEqual(readdirSync(join(runDir, 'triggers')).sort(), ['grey-dot.png', 'square.png']);
    assert.equal(existsSync(join(runDir, 'work')), false, 'epoch checkpoints are removed once models are saved');
  });

  it('results.json has exactly the protocol types', () => {
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as unknown;
    assert.deepEqual(checkAgainstProtocolType(results, 'src/protocol/results.ts', 'AuditResults'), []);
  });

  it('the lineage triad: foundation, every child (depth x seed x variant), scratch per seed', () => {
    const { lineage, probes } = outcome.results;
    assert.deepEqual(lineage.children.map((c) => c.id).sort(), ['child-k0-s0', 'child-k0-s0-reweight', 'child-k0-s1', 'child-k0-s1-reweight', 'child-k4-s0', 'child-k4-s0-reweight', 'child-k4-s1', 'child-k4-s1-reweight']);
    assert.deepEqual(lineage.scratch.map((c) => c.id).sort(), ['scratch-s0', 'scratch-s0-reweight', 'scratch-s1', 'scratch-s1-reweight']);
    assert.deepEqual(lineage.freezeDepths, [0, 4]);
    assert.deepEqual(lineage.blocks, ['conv1', 'conv2', 'conv3', 'conv4']);
    assert.ok(lineage.children.every((c) => c.frozenBlocksVerified === true && c.contentHash.length === 64));
    assert.equal(lineage.children.find((c) => c.id === 'child-k4-s1')?.transfer, 'fixed-feature');
    assert.equal(lineage.children.find((c) => c.id === 'child-k0-s1-reweight')?.trainingData, 'reweight');
    // Every probe ran on the models it measures.
    assert.deepEqual(probes.strongStimuli?.perModel.map((m) => m.modelId).sort(), ['child-k0-s0', 'child-k0-s1', 'child-k4-s0', 'child-k4-s1', 'scratch-s0', 'scratch-s1']);
    assert.equal(probes.interventions?.perModel.length, 7 * 2, 'foundation, 4 children, 2 scratch x 2 triggers');
    assert.deepEqual(probes.interventions?.transfer.map((t) => `${t.triggerId}@${t.freezeDepth}`).sort(), ['grey-dot@0', 'grey-dot@4', 'square@0', 'square@4']);
    assert.equal(probes.interventions?.triggers.find((t) => t.id === 'grey-dot')?.targetClass, 1);
    assert.equal(probes.interventions?.triggers.find((t) => t.id === 'square')?.example, 'triggers/square.png');
    assert.deepEqual(probes.groupDisparity?.interventions.map((i) => i.id), ['none', 'reweight']);
    assert.equal(probes.groupDisparity?.perModel.length, 1 + 6 + 6, 'foundation, and every child and scratch with and without reweighting');
    assert.deepEqual(probes.associations?.perModel.map((m) => m.modelId).sort(), ['child-k0-s0', 'child-k0-s1', 'child-k4-s0', 'child-k4-s1', 'foundation', 'scratch-s0', 'scratch-s1']);
    assert.equal(probes.associations?.comparisons.length, 6, 'every pair of the 4 concepts');
    assert.deepEqual(probes.associations?.biasTransferByFreezeDepth.map((b) => b.freezeDepth), [0, 4]);
    assert.equal(probes.associations?.weat?.perModel.length, 7);
    assert.deepEqual(outcome.results.training.map((t) => t.modelId).sort(), [...lineage.children, ...lineage.scratch].map((m) => m.id).sort());
  });

  it('statistics over seeds: t-interval with n = 2, paired test child versus scratch', () => {
    const row = outcome.results.probes.interventions!.transfer.find((t) => t.triggerId === 'square' && t.freezeDepth === 4)!;
    const perModel = outcome.results.probes.interventions!.perModel.filter((m) => m.triggerId === 'square');
    const asr = (id: string) => perModel.find((m) => m.modelId === id)!.asr;
    const child = [asr('child-k4-s0'), asr('child-k4-s1')];
    const scratch = [asr('scratch-s0'), asr('scratch-s1')];
    assert.equal(row.asr.child.n, 2);
    assert.ok(Math.abs(row.asr.child.mean - (child[0] + child[1]) / 2) < 1e-12);
    const diffs = [child[0] - scratch[0], child[1] - scratch[1]];
    const mean = (diffs[0] + diffs[1]) / 2;
    const std = Math.abs(diffs[0] - diffs[1]) / Math.SQRT2;
    assert.ok(Math.abs(row.asr.difference.mean - mean) < 1e-12);
    assert.ok(Math.abs(row.asr.difference.std - std) < 1e-12);
    if (std > 0) {
      // t(0.975, 1) = 12.7062; the half-width divides by sqrt(n), not n.
      const half = (12.706204736 * std) / Math.SQRT2;
      assert.ok(Math.abs((row.asr.difference.ci95 as [number, number])[1] - (mean + half)) < 1e-6);
      assert.equal(row.asr.pairedTest?.n, 2);
    }
  });

  it('status.json says done, every step done', () => {
    const status = parseRunStatus(readFileSync(join(runDir, 'status.json'), 'utf8'), 'status.json');
    assert.equal(status.state, 'done');
    assert.equal(status.pid, null);
    assert.equal(status.stepsDone, status.stepsTotal);
    assert.ok(status.steps.every((s) => s.state === 'done' && s.seconds !== null));
    assert.deepEqual(status.headline, outcome.results.headline);
    assert.ok(status.headline.length >= 2);
  });

  it('the manifest records provenance', () => {
    const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as RunManifest;
    assert.equal(manifest.configPath, config);
    assert.deepEqual(manifest.config, JSON.parse(readFileSync(config, 'utf8')));
    assert.match(manifest.configHash, /^[0-9a-f]{64}$/);
    assert.equal(manifest.computeBackend.name, outcome.results.computeBackend.name);
    assert.ok(manifest.versions.tool && manifest.versions.node && manifest.versions.tfjsCore);
    assert.deepEqual(manifest.seeds, [0, 1]);
    for (const m of [outcome.results.lineage.foundation, ...outcome.results.lineage.children, ...outcome.results.lineage.scratch]) assert.equal(manifest.contentHashes.models[m.id], m.contentHash, m.id);
    assert.match(manifest.contentHashes.datasets.train, /^[0-9a-f]{64}$/);
    assert.match(manifest.contentHashes.recipes.children, /^[0-9a-f]{64}$/);
    assert.equal(manifest.steps.length, outcome.timings.length);
    assert.ok((manifest.cache?.predictionHits ?? 0) > 0, 'the group probe reuses the interventions probe\'s clean test predictions');
  });

  it('report.html is self-contained, with every section and chart', () => {
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    for (const id of ['overview', 'lineage', 'training', 'strong-stimuli', 'interventions', 'group-disparity', 'associations', 'provenance']) assert.ok(html.includes(`<section id="${id}">`), id);
    assert.ok((html.match(/<svg /g) ?? []).length >= 6, 'charts as inline SVG');
    assert.ok(html.includes('class="error-bar"'), 'error bars');
    assert.ok((html.match(/src="data:image\/png;base64,/g) ?? []).length >= 3 + 2, 'stimuli and trigger examples inlined');
    assert.doesNotMatch(html, /(?:src|href)\s*=\s*["']?(?:https?:|\/\/|file:)/i, 'no external reference');
    assert.doesNotMatch(html, /https?:\/\//, 'no URL at all');
    assert.doesNotMatch(html, /<script|<link|<iframe|@import|url\(/i);
  });

  it('CSV exports hold every table', () => {
    const csv = readFileSync(join(runDir, 'csv', 'interventions.csv'), 'utf8').split('\r\n').filter((l) => l.length > 0);
    assert.match(csv[0], /^model,trigger,clean_accuracy,/);
    assert.equal(csv.length, 1 + 14);
    const models = readFileSync(join(runDir, 'csv', 'models.csv'), 'utf8').split('\r\n').filter((l) => l.length > 0);
    assert.equal(models.length, 1 + 1 + 8 + 4);
  });

  it('reports progress: steps, epochs, batches, speed and curves', () => {
    assert.ok(progress.some((p) => p.phase === 'training' && p.epoch === 1 && p.batch !== null && p.batches !== null && p.loss !== null && p.imagesPerSecond !== null && p.etaSeconds !== null));
    assert.ok(progress.some((p) => p.phase.startsWith('probing') && p.batches !== null));
    assert.ok(progress.every((p) => p.runDir === runDir && p.stepsTotal === outcome.timings.length));
    assert.ok(epochs.includes('child-k0-s0@1') && epochs.includes('scratch-s1-reweight@1'));
  });

  it('bias-audit report regenerates the same report from results.json', async () => {
    const other = join(runDir, 'again.html');
    await regenerateReport(runDir, other);
    assert.equal(readFileSync(other, 'utf8'), readFileSync(join(runDir, 'report.html'), 'utf8'));
  });

  it('a second run reuses every step and gives the same results', async () => {
    const again = await assertNoLeak(() => runAudit(config));
    assert.equal(again.stepsComputed, 0);
    assert.equal(again.stepsReused, outcome.timings.length);
    assert.deepEqual(comparable(again.results), comparable(outcome.results));
    assert.ok(again.results.training.every((t) => t.reused));
  });
});
