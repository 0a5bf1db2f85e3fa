import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReport } from '../../../src/audit/report/report-html';
import { runFolderInliner } from '../../../src/audit/report/write-report';
import { barChart, escapeXml, histogram, lineChart, niceTicks, scatter } from '../../../src/audit/report/svg-charts';
import { toCsv } from '../../../src/audit/results/csv';
import { csvTables } from '../../../src/audit/results/csv-export';
import { assertValidResults, nonFiniteNumbers } from '../../../src/audit/results/check-results';
import type { AuditResults } from '../../../src/protocol/results';
import { REPO } from './helpers/tiny-audit';

const FIXTURE = join(REPO, 'test', 'fixtures', 'results', 'run-fixture');
const fixture = (): AuditResults => JSON.parse(readFileSync(join(FIXTURE, 'results.json'), 'utf8')) as AuditResults;

describe('audit report', () => {
  describe('CSV', () => {
    it('quotes what needs quoting and ends rows with CRLF', () => {
      assert.equal(toCsv({ header: ['a', 'b'], rows: [['x,y', 'say "hi"'], [1.5, null], [true, 'line\nbreak']] }), 'a,b\r\n"x,y","say ""hi"""\r\n1.5,\r\ntrue,"line\nbreak"\r\n');
    });
    it('refuses rows of the wrong width', () => {
      assert.throws(() => toCsv({ header: ['a', 'b'], rows: [[1]] }), /row 0 has 1 cells for 2 columns/);
    });
    it('exports every table of a results.json', () => {
      const tables = csvTables(fixture());
      const files = tables.map((t) => t.file);
      for (const f of ['models.csv', 'training.csv', 'strong-stimuli.csv', 'label-modes.csv', 'interventions.csv', 'interventions-transfer.csv', 'planted-bias.csv', 'group-disparity.csv', 'bias-versus-accuracy.csv', 'associations.csv', 'bias-transfer-score.csv', 'weat.csv']) {
        assert.ok(files.includes(f), f);
      }
      for (const t of tables) assert.doesNotThrow(() => toCsv(t), t.file);
      const models = tables.find((t) => t.file === 'models.csv')!;
      const r = fixture();
      assert.equal(models.rows.length, 1 + r.lineage.children.length + r.lineage.scratch.length);
    });
  });

  describe('SVG charts', () => {
    it('escape text', () => {
      assert.equal(escapeXml(`<a href="x">&'`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
      assert.ok(!barChart({ title: '<script>', series: ['s'], groups: [{ label: '<b>', bars: [{ value: 1 }] }] }).includes('<script>'));
    });
    it('round ticks cover the range', () => {
      assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
      const ticks = niceTicks(-0.13, 0.47);
      assert.ok(ticks[0] <= -0.13 && ticks[ticks.length - 1] >= 0.47);
    });
    it('bar charts draw a bar per value and an error bar per interval, clipped to a fixed axis', () => {
      const svg = barChart({
        title: 'ASR', series: ['child', 'scratch'], yDomain: [0, 1], percent: true,
        groups: [{ label: 'K=0', bars: [{ value: 0.2, low: -0.1, high: 0.5 }, { value: 0.1, low: 0.05, high: 0.15 }] }, { label: 'K=4', bars: [{ value: 0.6 }, null] }],
        reference: { value: 0.3, label: 'scratch' },
      });
      assert.equal((svg.match(/<rect [^>]*fill="#(4e79a7|f28e2b)"><title>/g) ?? []).length, 3);
      assert.equal((svg.match(/class="error-bar"/g) ?? []).length, 2);
      assert.ok(svg.includes('class="reference"'));
      assert.match(svg, /^<svg class="chart" viewBox="0 0 \d+ \d+"/);
    });
    it('histograms, scatter plots and line curves', () => {
      const h = histogram({ title: 'h', bins: ['a', 'b', 'c'], series: [{ name: 'clean', counts: [1, 2, 3] }, { name: 'triggered', counts: [3, 2, 1] }], normalize: true });
      assert.equal((h.match(/<rect [^>]*><title>/g) ?? []).length, 6);
      const s = scatter({ title: 's', series: ['none', 'reweight'], points: [{ x: 0.5, y: 0.1, series: 0 }, { x: 0.6, y: 0.05, series: 1 }], xLabel: 'acc', yLabel: 'gap' });
      assert.equal((s.match(/<circle /g) ?? []).length, 2);
      const l = lineChart({ title: 'l', xLabel: 'epoch', yLabel: 'acc', series: [{ name: 'a', points: [[1, 0.5], [2, 0.7]] }, { name: 'b', points: [[1, 0.4], [2, 0.6]], dashed: true }] });
      assert.equal((l.match(/<path /g) ?? []).length, 2);
      assert.ok(l.includes('stroke-dasharray'));
    });
  });

  describe('HTML', () => {
    it('renders every section of the fixture run with its images inlined and nothing external', () => {
      const html = renderReport(fixture(), runFolderInliner(FIXTURE));
      for (const id of ['overview', 'lineage', 'training', 'strong-stimuli', 'interventions', 'planted-bias', 'group-disparity', 'associations', 'provenance']) assert.ok(html.includes(`<section id="${id}">`), id);
      assert.ok((html.match(/src="data:image\/png;base64,/g) ?? []).length >= fixture().probes.strongStimuli!.stimuli.length);
      assert.doesNotMatch(html, /https?:\/\/|<script|<link|url\(/i);
    });
    it('escapes names from the data', () => {
      const r = fixture();
      r.targetDataset.classNames[0] = '<img src=x onerror=alert(1)>';
      r.headline = [{ label: '<b>bold</b>', value: '1' }];
      const html = renderReport(r, () => null);
      assert.ok(!html.includes('<img src=x') && !html.includes('<b>bold'));
    });
    it('the inliner stays inside the run folder', () => {
      const inline = runFolderInliner(FIXTURE);
      assert.equal(inline('../../../../package.json'), null);
      assert.match(inline(fixture().probes.strongStimuli!.stimuli[0].image) ?? '', /^data:image\/png;base64,/);
    });
  });

  describe('results check', () => {
    it('finds NaN and infinite numbers by path', () => {
      assert.deepEqual(nonFiniteNumbers({ a: [1, NaN], b: { c: Infinity }, d: null }), ['a[1]', 'b.c']);
      const r = fixture();
      r.probes.interventions!.perModel[0].asr = NaN;
      assert.throws(() => assertValidResults(r, 'results.json'), /not finite: probes\.interventions\.perModel\[0\]\.asr/);
      assert.doesNotThrow(() => assertValidResults(fixture(), 'results.json'));
    });
  });
});
