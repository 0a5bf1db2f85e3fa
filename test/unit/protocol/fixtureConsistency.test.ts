/**
 * The fixture run stands in for the audit's output in the panels' tests, so it must obey the schema's own
 * definitions: these checks recompute derived figures from the per-model values.
 */
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAuditResults } from '../../../src/protocol/runFiles';
import type { SummaryStats } from '../../../src/protocol/results';

const FIXTURE = join(__dirname, '../../../../test/fixtures/results/run-fixture');
const results = parseAuditResults(readFileSync(join(FIXTURE, 'results.json'), 'utf8'), 'results.json');

function stats(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, std: Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) };
}

function close(a: number, b: number, what: string): void {
  assert.ok(Math.abs(a - b) < 1e-3, `${what}: ${a} vs ${b}`);
}

function checkStats(s: SummaryStats, values: number[], what: string): void {
  const expected = stats(values);
  assert.equal(s.n, values.length, `${what}.n`);
  close(s.mean, expected.mean, `${what}.mean`);
  close(s.std, expected.std, `${what}.std`);
}

describe('fixture run (test/fixtures/results/run-fixture)', () => {
  it('names only images that exist', () => {
    for (const s of results.probes.strongStimuli!.stimuli) assert.ok(existsSync(join(FIXTURE, s.image)), s.image);
    for (const t of results.probes.interventions!.triggers) if (t.example) assert.ok(existsSync(join(FIXTURE, t.example)), t.example);
  });

  it('has label modes, own-target hits and outperform counts that match the predictions', () => {
    const probe = results.probes.strongStimuli!;
    for (const m of probe.perModel) {
      const counts = new Map<number, number>();
      for (const p of m.predictedLabels) counts.set(p, (counts.get(p) ?? 0) + 1);
      assert.equal(m.labelMode.count, Math.max(...counts.values()), m.modelId);
      assert.equal(m.ownTargetHits, m.predictedLabels.filter((p, t) => p === probe.stimuli[t].targetClass).length, m.modelId);
      assert.equal(m.outperformingCount, m.outperforms!.filter(Boolean).length, m.modelId);
      m.outperforms!.forEach((o, i) => assert.equal(o, m.stimulusDistance![i] < m.centroidDistance![i], `${m.modelId} stimulus ${i}`));
    }
  });

  it('has ASR denominators, histograms and TV distances consistent with the test set', () => {
    const probe = results.probes.interventions!;
    for (const r of probe.perModel) {
      assert.equal(r.histogramClean.reduce((a, b) => a + b, 0), probe.testImages);
      assert.equal(r.histogramTriggered.reduce((a, b) => a + b, 0), probe.testImages);
      close(r.asrDenominator / probe.testImages, r.cleanAccuracy, `${r.modelId} clean accuracy = correct / n`);
      const tv = 0.5 * r.histogramClean.reduce((s, c, i) => s + Math.abs(c - r.histogramTriggered[i]) / probe.testImages, 0);
      close(r.totalVariation, tv, `${r.modelId} TV`);
    }
  });

  it('has child-versus-scratch statistics computed from the per-seed values', () => {
    const probe = results.probes.interventions!;
    for (const t of probe.transfer) {
      const child = results.lineage.seeds.map((s) => probe.perModel.find((r) => r.modelId === `child-k${t.freezeDepth}-s${s}` && r.triggerId === t.triggerId)!.asr);
      const scratch = results.lineage.seeds.map((s) => probe.perModel.find((r) => r.modelId === `scratch-s${s}` && r.triggerId === t.triggerId)!.asr);
      checkStats(t.asr.child, child, 'child ASR');
      checkStats(t.asr.scratch, scratch, 'scratch ASR');
      checkStats(t.asr.difference, child.map((c, i) => c - scratch[i]), 'difference');
    }
  });

  it('has Bias Transfer Scores that are Spearman correlations within [-1, 1]', () => {
    for (const b of results.probes.associations!.biasTransferScore) assert.ok(b.spearman !== null && b.spearman >= -1 && b.spearman <= 1, `${b.modelId}: ${b.spearman}`);
  });
});
