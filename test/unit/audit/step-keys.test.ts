import { strict as assert } from 'node:assert';
import { ProblemList } from '../../../src/audit/config/config-error';
import { loadAuditConfig } from '../../../src/audit/config/resolve-config';
import { prepareProbes } from '../../../src/audit/probes/prepare-probes';
import { openAuditInputs } from '../../../src/audit/run/open-inputs';
import { planRun, type PlannedStep } from '../../../src/audit/run/plan';
import { stepKey } from '../../../src/audit/steps/step-key';
import { useBackend } from '../helpers/tf';
import { sharedTinyFoundation, tempDir, tinyConfig, writeConfig } from './helpers/tiny-audit';

/** The keys of a config's plan, by step label. */
async function keysOf(dir: string, config: Record<string, unknown>): Promise<Map<string, PlannedStep>> {
  const file = await writeConfig(dir, 'keys', config);
  const resolved = await loadAuditConfig(file);
  const problems = new ProblemList();
  const opened = await openAuditInputs(resolved, problems, () => undefined);
  assert.ok(opened, problems.list().map((p) => `${p.path}: ${p.message}`).join('\n'));
  const probes = await prepareProbes(opened.inputs, problems);
  assert.equal(problems.size, 0, problems.list().map((p) => `${p.path}: ${p.message}`).join('\n'));
  try {
    const plan = planRun({ config: resolved, inputs: opened.inputs, existing: opened.existing, blocks: opened.blocks, probes, toolVersion: 'test' });
    return new Map(plan.steps.map((s) => [s.label, s]));
  } finally {
    opened.inputs.foundation.loaded.model.dispose();
  }
}

function changed(a: Map<string, PlannedStep>, b: Map<string, PlannedStep>): string[] {
  return [...a.keys()].filter((label) => b.get(label)?.key !== a.get(label)?.key).sort();
}

describe('audit step keys', function () {
  this.timeout(300_000);
  let foundation: string;
  let dir: string;
  const probes = (steps = 4, resamples = 100) => ({
    strongStimuli: { steps, batchSize: 3 },
    interventions: { triggers: ['square:size=0.25,color=#ffffff,position=top-left'], bootstrapResamples: resamples },
  });
  before(async () => {
    await useBackend((process.env.AUDIT_TEST_BACKEND ?? 'wasm') as 'wasm');
    foundation = await sharedTinyFoundation();
    dir = await tempDir('keys');
  });

  it('are hashes of the inputs, whatever the order of object keys', () => {
    assert.equal(stepKey('probe', 'x/model', { a: 1, b: { c: 2, d: [1, 2] } }), stepKey('probe', 'x/model', { b: { d: [1, 2], c: 2 }, a: 1 }));
    assert.notEqual(stepKey('probe', 'x/model', { a: 1 }), stepKey('probe', 'x/model', { a: 2 }));
    assert.notEqual(stepKey('probe', 'x/model', { a: 1 }), stepKey('train', 'x/model', { a: 1 }));
    assert.notEqual(stepKey('probe', 'x/model', { a: 1 }, '1.0.0'), stepKey('probe', 'x/model', { a: 1 }, '1.0.1'), 'the code version is part of the key');
    assert.match(stepKey('probe', 'x', {}), /^[0-9a-f]{64}$/);
  });

  it('the same config gives the same keys', async () => {
    const a = await keysOf(dir, tinyConfig(foundation, probes()));
    const b = await keysOf(dir, tinyConfig(foundation, probes()));
    assert.deepEqual(changed(a, b), []);
    assert.equal(new Set([...a.values()].map((s) => s.key)).size, a.size, 'every step has its own key');
    assert.ok(a.has('train child K=0 seed 0') && a.has('train scratch seed 1') && a.has('strong stimuli: generate 3 stimuli on the foundation') && a.has('interventions on foundation'), [...a.keys()].join(', '));
  });

  it('a changed probe parameter changes only the keys of that probe\'s steps that use it', async () => {
    const base = await keysOf(dir, tinyConfig(foundation, probes()));
    const resamples = await keysOf(dir, tinyConfig(foundation, probes(4, 200)));
    const expected = [...base.keys()].filter((l) => l.startsWith('interventions on ')).sort();
    assert.ok(expected.length === 7);
    assert.deepEqual(changed(base, resamples), expected, 'only the interventions measurements (not the trigger examples, training or stimuli)');

    const steps = await keysOf(dir, tinyConfig(foundation, probes(8)));
    assert.deepEqual(changed(base, steps), [...base.keys()].filter((l) => l.startsWith('strong stimuli')).sort(), 'only the stimuli and their scores');
  });

  it('a changed recipe retrains and re-measures the trained models, not the foundation', async () => {
    const base = await keysOf(dir, tinyConfig(foundation, probes()));
    const config = tinyConfig(foundation, probes());
    (config.children as { recipe: Record<string, unknown> }).recipe.epochs = 2;
    const moreEpochs = await keysOf(dir, config);
    const diff = changed(base, moreEpochs);
    assert.ok(diff.includes('train child K=0 seed 0') && diff.includes('train scratch seed 1'));
    assert.ok(diff.includes('interventions on child-k4-s1') && diff.includes('strong stimuli on scratch-s0'));
    assert.ok(!diff.includes('interventions on foundation') && !diff.some((l) => l.startsWith('strong stimuli: generate')) && !diff.includes('interventions: trigger examples'), diff.join(', '));
  });

  it('adding a seed keeps every existing key', async () => {
    const base = await keysOf(dir, tinyConfig(foundation, probes()));
    const config = tinyConfig(foundation, probes());
    (config.children as { seeds: number[] }).seeds = [0, 1, 2];
    const more = await keysOf(dir, config);
    assert.deepEqual(changed(base, more), []);
    assert.ok(more.size > base.size);
  });
});
