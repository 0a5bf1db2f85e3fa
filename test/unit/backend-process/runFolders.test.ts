import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listRunFolders, readRunFolder } from '../../../src/backend/runFolders';
import { AuditError } from '../../../src/engine/util/errors';

const FIXTURE = join(__dirname, '../../../../test/fixtures/results/run-fixture');

describe('backend/runFolders', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'runs-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lists run folders newest first, skipping other folders and reporting a broken status.json', async () => {
    cpSync(FIXTURE, join(dir, 'fixture'), { recursive: true });
    mkdirSync(join(dir, 'not-a-run'));
    mkdirSync(join(dir, 'broken'));
    writeFileSync(join(dir, 'broken', 'status.json'), '{"schemaVersion": 1, "state": "exploded"}');
    const runs = await listRunFolders(dir);
    assert.deepEqual(runs.map((r) => r.runId), ['fixture-20251120-091403', 'broken']);
    assert.match(runs[1].problem ?? '', /broken\/status\.json: state must be one of/);
  });

  it('has no runs in a missing folder', async () => {
    assert.deepEqual(await listRunFolders(join(dir, 'missing')), []);
  });

  it('reads a run, and names results.json when it is missing or malformed', async () => {
    cpSync(FIXTURE, join(dir, 'fixture'), { recursive: true });
    assert.equal((await readRunFolder(join(dir, 'fixture'))).results.lineage.foundation.id, 'foundation');
    await assert.rejects(readRunFolder(dir), (e: unknown) => e instanceof AuditError && e.file === join(dir, 'results.json') && e.code === 'ENOENT');
    writeFileSync(join(dir, 'results.json'), '{"schemaVersion": 7}');
    await assert.rejects(readRunFolder(dir), (e: unknown) => e instanceof AuditError && e.code === 'BAD_RESULTS' && /schemaVersion 7 is not supported/.test(e.message));
  });
});
