import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAuditResults, parseRunStatus, RunFileError, sortRunsNewestFirst, summarizeRun } from '../../../src/protocol/runFiles';
import type { RunSummary } from '../../../src/protocol/runStatus';

const FIXTURE = join(__dirname, '../../../../test/fixtures/results/run-fixture');
const resultsText = readFileSync(join(FIXTURE, 'results.json'), 'utf8');
const statusText = readFileSync(join(FIXTURE, 'status.json'), 'utf8');

function withChange(change: (r: Record<string, unknown>) => void): string {
  const obj = JSON.parse(resultsText) as Record<string, unknown>;
  change(obj);
  return JSON.stringify(obj);
}

describe('protocol/runFiles', () => {
  it('parses the fixture results with every probe', () => {
    const results = parseAuditResults(resultsText, 'results.json');
    assert.equal(results.schemaVersion, 1);
    assert.deepEqual(Object.keys(results.probes).sort(), ['associations', 'groupDisparity', 'interventions', 'plantedBias', 'strongStimuli']);
    assert.equal(results.lineage.children.length, 6);
  });

  it('rejects an unsupported schema version, naming the file', () => {
    assert.throws(() => parseAuditResults(withChange((r) => (r.schemaVersion = 2)), '/runs/a/results.json'), (e: unknown) => e instanceof RunFileError && e.file === '/runs/a/results.json' && /schemaVersion 2 is not supported/.test(e.message));
  });

  it('rejects invalid JSON and non-objects with the file name', () => {
    assert.throws(() => parseAuditResults('{"schemaVersion":', 'x.json'), /^RunFileError: x\.json: not valid JSON|x\.json: not valid JSON/);
    assert.throws(() => parseAuditResults('[1]', 'x.json'), /x\.json: expected a JSON object/);
  });

  it('names the missing field and unknown probes', () => {
    assert.throws(() => parseAuditResults(withChange((r) => delete r.lineage), 'r.json'), /r\.json: lineage must be an object/);
    assert.throws(() => parseAuditResults(withChange((r) => ((r.probes as Record<string, unknown>).asr = {})), 'r.json'), /probes\.asr is not a known probe/);
    assert.throws(() => parseAuditResults(withChange((r) => delete (r.probes as Record<string, Record<string, unknown>>).plantedBias.rows), 'r.json'), /probes\.plantedBias\.rows must be an array/);
  });

  it('parses status.json and rejects an unknown state', () => {
    assert.equal(parseRunStatus(statusText, 's.json').state, 'done');
    const bad = JSON.stringify({ ...JSON.parse(statusText), state: 'paused' });
    assert.throws(() => parseRunStatus(bad, 's.json'), /s\.json: state must be one of running, cancelled, failed, done/);
  });

  it('summarises a run from status.json, from results.json alone, and reports a broken file instead of throwing', () => {
    const fromStatus = summarizeRun('/r', 'dir', statusText, resultsText, 's', 'r');
    assert.equal(fromStatus.state, 'done');
    assert.equal(fromStatus.stepsDone, fromStatus.stepsTotal);
    assert.equal(fromStatus.configPath, '/workspace/fashion.biasaudit.json');
    assert.equal(fromStatus.headline.length, 3);
    const fromResults = summarizeRun('/r', 'dir', null, resultsText, 's', 'r');
    assert.equal(fromResults.state, 'done');
    assert.equal(fromResults.runId, 'fixture-20251120-091403');
    const broken = summarizeRun('/r', 'dir', '{', null, '/r/status.json', 'r');
    assert.equal(broken.state, 'unknown');
    assert.match(broken.problem ?? '', /\/r\/status\.json: not valid JSON/);
  });

  it('sorts runs newest first, undated last', () => {
    const run = (runId: string, startedAt: string | null): RunSummary => ({ runDir: runId, runId, state: 'done', configPath: null, startedAt, stepsDone: 0, stepsTotal: 0, headline: [], hasResults: true, problem: null });
    assert.deepEqual(sortRunsNewestFirst([run('a', '2025-01-01T00:00:00Z'), run('b', null), run('c', '2025-02-01T00:00:00Z')]).map((r) => r.runId), ['c', 'a', 'b']);
  });
});
