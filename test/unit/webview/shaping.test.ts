/** The panels' data shaping, on the fixture run. */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAuditResults } from '../../../src/protocol/runFiles';
import { associationScatter, btsTable } from '../../../webview/shaping/associations';
import { keyFigures } from '../../../webview/shaping/compare';
import { summary } from '../../../webview/shaping/format';
import { biasAccuracyPoints, groupTable } from '../../../webview/shaping/groups';
import { asrBars, histogramBars, interventionTable } from '../../../webview/shaping/interventions';
import { galleryCards, labelModeTable, transferByDepthSeries } from '../../../webview/shaping/stimuli';
import { toCsv } from '../../../webview/shaping/table';
import { curvePoints, historyCurves } from '../../../webview/shaping/training';

const results = parseAuditResults(readFileSync(join(__dirname, '../../../../test/fixtures/results/run-fixture/results.json'), 'utf8'), 'results.json');
const stimuli = results.probes.strongStimuli!;
const interventions = results.probes.interventions!;

describe('webview shaping', () => {
  it('writes RFC 4180 CSV, quoting commas, quotes and line breaks', () => {
    assert.equal(toCsv({ name: 't', headers: ['a', 'b'], rows: [['x,y', 'say "hi"'], [1, null], ['two\nlines', 0.5]] }), 'a,b\r\n"x,y","say ""hi"""\r\n1,\r\n"two\nlines",0.5\r\n');
  });

  it('formats summary statistics with and without an interval', () => {
    assert.equal(summary({ n: 3, mean: 0.5, std: 0.1, ci95: [0.25, 0.75] }, 2), '0.50 ± 0.10 [0.25, 0.75] (n=3)');
    assert.equal(summary({ n: 1, mean: 0.5, std: 0, ci95: null }, 2), '0.50 ± 0.00 (n=1)');
    assert.equal(summary(null), '—');
  });

  it('builds the label-mode table: one row per model with its mode and share', () => {
    const table = labelModeTable(results, stimuli);
    assert.equal(table.rows.length, stimuli.perModel.length);
    const scratch = stimuli.perModel.find((m) => m.modelId === 'scratch-s0')!;
    const row = table.rows.find((r) => r[0] === 'scratch seed 0')!;
    assert.equal(row[1], `${scratch.labelMode.name} (${scratch.labelMode.label})`);
    assert.equal(row[2], `${scratch.labelMode.count} of 10`);
  });

  it('filters the gallery by class, model and outperforming', () => {
    assert.equal(galleryCards(results, stimuli, { classIndex: null, modelId: null, onlyOutperforming: false }).length, 10);
    const one = galleryCards(results, stimuli, { classIndex: 3, modelId: 'child-k4-s0', onlyOutperforming: false });
    assert.equal(one.length, 1);
    assert.equal(one[0].className, 'Dress');
    assert.equal(one[0].predictions.length, 1);
    const model = stimuli.perModel.find((m) => m.modelId === 'child-k4-s0')!;
    const outperforming = galleryCards(results, stimuli, { classIndex: null, modelId: 'child-k4-s0', onlyOutperforming: true });
    assert.equal(outperforming.length, model.outperformingCount);
    assert.ok(outperforming.every((c) => c.predictions[0].outperforms === true));
  });

  it('gives the transfer-by-depth series with ± std bars and the scratch line', () => {
    const series = transferByDepthSeries(stimuli);
    assert.deepEqual(series.points.map((p) => p.freezeDepth), [0, 2, 4]);
    const deepest = stimuli.transferByFreezeDepth[2].outperforming;
    assert.deepEqual([series.points[2].low, series.points[2].high], [deepest.mean - deepest.std, deepest.mean + deepest.std]);
    assert.equal(series.scratch, stimuli.scratchOutperforming!.mean);
  });

  it('gives child and scratch ASR bars per freeze depth, and prediction shares that sum to 1', () => {
    const bars = asrBars(interventions, 'square-yellow');
    assert.equal(bars.length, 6);
    const bars4 = bars.filter((b) => b.freezeDepth === 4);
    assert.deepEqual(bars4.map((b) => b.group), ['child', 'scratch']);
    const hist = histogramBars(interventions, 'child-k4-s0', 'square-yellow');
    assert.equal(hist.length, 20);
    for (const condition of ['clean', 'triggered'] as const) assert.ok(Math.abs(hist.filter((h) => h.condition === condition).reduce((a, h) => a + h.share, 0) - 1) < 1e-9);
    assert.deepEqual(histogramBars(interventions, 'nope', 'square-yellow'), []);
    const table = interventionTable(results, interventions, 'circle-white');
    assert.equal(table.rows.length, 9);
    assert.equal(table.rows[0][4], '—', 'an untargeted trigger has no targeted ASR');
  });

  it('shapes group tables (TPR/FPR for binary tasks) and bias-versus-accuracy points', () => {
    const probe = results.probes.groupDisparity!;
    const table = groupTable(results, probe, 'none');
    assert.ok(table.headers.includes('FPR (person)'));
    assert.equal(table.rows.length, 8);
    assert.equal(biasAccuracyPoints(probe).length, probe.biasVersusAccuracy.length);
  });

  it('pairs foundation and child associations per comparison, and tabulates BTS', () => {
    const probe = results.probes.associations!;
    const points = associationScatter(probe, 'child-k2-s0');
    assert.equal(points.length, probe.comparisons.length);
    const f = probe.perModel.find((m) => m.modelId === 'foundation')!.associations[0].mean;
    assert.equal(points[0].foundation, f);
    assert.equal(btsTable(results, probe).rows.length, 6);
  });

  it('turns histories into long-format curve points and compares key figures', () => {
    const points = curvePoints(historyCurves(results.training, (id) => id));
    assert.equal(points.length, results.training.reduce((a, h) => a + h.epochs.length, 0));
    const figures = keyFigures(results, 'child-k0-s0');
    assert.ok(figures.rows.some((r) => r[0] === 'ASR (square-yellow)'));
    assert.ok(figures.rows.some((r) => r[0] === 'Bias Transfer Score'));
  });
});
