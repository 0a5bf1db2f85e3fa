import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkAgainstProtocolType } from './helpers/protocol-type-check';
import { REPO } from './helpers/tiny-audit';

describe('the results.json type check (helper)', () => {
  const fixture = JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'results', 'run-fixture', 'results.json'), 'utf8')) as Record<string, unknown>;
  it('accepts a results.json of the protocol types', () => {
    assert.deepEqual(checkAgainstProtocolType(fixture, 'src/protocol/results.ts', 'AuditResults'), []);
  });
  it('reports a missing field, a wrong type, an unknown field and a bad literal with their paths', () => {
    const broken = structuredClone(fixture) as { runId?: unknown; schemaVersion: unknown; lineage: { seeds: unknown[]; foundation: Record<string, unknown> }; extra?: unknown };
    delete broken.runId;
    broken.lineage.seeds[0] = 'zero';
    broken.lineage.foundation.role = 'parent';
    broken.extra = 1;
    const problems = checkAgainstProtocolType(broken, 'src/protocol/results.ts', 'AuditResults');
    assert.ok(problems.some((p) => p.startsWith('AuditResults.runId: missing')), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('AuditResults.lineage.seeds[0]')), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('AuditResults.lineage.foundation.role')), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('AuditResults.extra: not declared')), problems.join('\n'));
  });
});
