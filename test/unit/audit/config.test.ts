import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../../src/audit/config/config-error';
import type { AuditConfig } from '../../../src/audit/config/config-types';
import { formatJsonPath, pointerToJsonPath } from '../../../src/audit/config/json-path';
import { loadAuditConfig, resolveAuditConfig, runNameOf } from '../../../src/audit/config/resolve-config';
import { schemaProblems } from '../../../src/audit/config/schema-check';
import { AuditError } from '../../../src/engine/util/errors';
import { REPO, tempDir } from './helpers/tiny-audit';

const CONFIG = '/project/audits/fashion.biasaudit.json';

function minimal(): Record<string, unknown> {
  return {
    foundation: '../models/foundation/model.json',
    target: { train: 'data/train?classes=0-2', test: { spec: 'data/test', perClass: 10 } },
    children: { freezeDepths: ['full', 2, 'fixed'], seeds: [0, 1] },
    probes: { interventions: { triggers: ['square:size=0.25,color=#ffff00,position=top-left'] } },
  };
}

/** The problems a config raises, as `PATH: MESSAGE` lines. */
function problemsOf(config: unknown): string[] {
  try {
    resolveAuditConfig(config, CONFIG);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    assert.equal(e.code, 'BAD_CONFIG');
    assert.equal(e.file, CONFIG);
    return e.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

function assertProblem(config: unknown, path: string, pattern: RegExp): void {
  const problems = problemsOf(config);
  assert.ok(problems.some((p) => p.startsWith(`${path}: `) && pattern.test(p.slice(path.length + 2))), `expected "${path}: ${pattern}" among:\n  ${problems.join('\n  ')}`);
}

describe('audit config', () => {
  describe('JSON paths', () => {
    it('formats keys, indices and odd keys', () => {
      assert.equal(formatJsonPath(['probes', 'interventions', 'triggers', 1]), 'probes.interventions.triggers[1]');
      assert.equal(formatJsonPath(['classMap', 'T-shirt/top']), 'classMap["T-shirt/top"]');
      assert.equal(formatJsonPath([]), '(the config)');
    });
    it('reads ajv pointers, keeping digit keys of objects as keys', () => {
      const root = { classMap: { '3': 1 }, list: [[0, 1]] };
      assert.equal(pointerToJsonPath('/classMap/3', root), 'classMap["3"]');
      assert.equal(pointerToJsonPath('/list/0/1', root), 'list[0][1]');
      assert.equal(pointerToJsonPath('/a~1b/c~0d', {}), '["a/b"]["c~d"]');
    });
  });

  describe('valid configs', () => {
    it('resolves paths relative to the config file and fills defaults', () => {
      const r = resolveAuditConfig(minimal(), CONFIG);
      assert.equal(r.foundation, '/project/models/foundation/model.json');
      assert.equal(r.name, 'fashion');
      assert.equal(r.outputRoot, '/project/audits/bias-audit-runs');
      assert.deepEqual(r.target.train.spec.source, { kind: 'folder', root: '/project/audits/data/train' });
      assert.deepEqual(r.target.train.spec.selection, { classes: ['0-2'] });
      assert.deepEqual(r.target.test?.selection, { perClass: 10 });
      assert.equal(r.target.testFraction, 0.2);
      assert.deepEqual(r.children?.seeds, [0, 1]);
      assert.equal(r.children?.scratch, true);
      assert.equal(r.children?.bnPolicy, 'frozen');
      assert.equal(r.children?.recipe.epochs, 4);
      assert.deepEqual(r.children?.scratchRecipe, r.children?.recipe);
    });
    it('lets scratchRecipe override the children recipe field by field', () => {
      const c = minimal();
      c.children = { freezeDepths: [0], recipe: { epochs: 3, learningRate: 0.01 }, scratchRecipe: { epochs: 6 } };
      const r = resolveAuditConfig(c, CONFIG);
      assert.equal(r.children?.scratchRecipe.epochs, 6);
      assert.equal(r.children?.scratchRecipe.learningRate, 0.01);
    });
    it('accepts the config the extension\'s guided flow writes', () => {
      const guided = { foundation: './model.json', target: { train: 'train-folder' }, children: { freezeDepths: [0, 2, 4], scratch: true, seeds: [0, 1, 2] }, probes: { strongStimuli: {}, interventions: { triggers: ['square:size=0.25,color=#ffff00,position=top-left'] } } };
      assert.deepEqual(problemsOf(guided), []);
    });
    it('accepts the bundled demo config', () => {
      const demo = JSON.parse(readFileSync(join(REPO, 'samples', 'demo.biasaudit.json'), 'utf8')) as unknown;
      assert.deepEqual(schemaProblems(demo), []);
    });
    it('names the run after the config file', () => {
      assert.equal(runNameOf('/x/My Audit.biasaudit.json'), 'My-Audit');
      assert.equal(runNameOf('/x/plain.json'), 'plain');
    });
  });

  describe('wrong fields give errors with their JSON path', () => {
    it('an unknown field, at the root and nested, lists the known ones', () => {
      assertProblem({ ...minimal(), colour: 'red' }, 'colour', /unknown field \(expected one of: .*foundation.*\)/);
      const c = minimal();
      (c.children as Record<string, unknown>).recipe = { epoch: 3 };
      assertProblem(c, 'children.recipe.epoch', /unknown field.*epochs/);
    });
    it('a missing required field', () => {
      const c = minimal();
      delete c.foundation;
      assertProblem(c, 'foundation', /is required/);
      assertProblem({ ...minimal(), probes: { interventions: {} } }, 'probes.interventions.triggers', /is required/);
    });
    it('a wrong type in a union names both alternatives', () => {
      assertProblem({ ...minimal(), probes: { interventions: { triggers: ['square', 3] } } }, 'probes.interventions.triggers[1]', /must be a string or an object, got number 3/);
      assertProblem({ ...minimal(), target: { train: 5 } }, 'target.train', /must be a string or an object/);
    });
    it('a wrong type', () => {
      assertProblem({ ...minimal(), children: { freezeDepths: [0], seeds: 'all' } }, 'children.seeds', /must be an array, got the string "all"/);
      assertProblem({ ...minimal(), children: { freezeDepths: [0], scratch: 'yes' } }, 'children.scratch', /must be a boolean/);
    });
    it('a value outside an enum', () => {
      assertProblem({ ...minimal(), children: { freezeDepths: [0, 'fixd'] } }, 'children.freezeDepths[1]', /must be one of "fixed", "full", got the string "fixd"/);
      assertProblem({ ...minimal(), children: { freezeDepths: [0], bnPolicy: 'drift' } }, 'children.bnPolicy', /must be one of "frozen", "train"/);
    });
    it('a number out of range', () => {
      assertProblem({ ...minimal(), children: { freezeDepths: [-1] } }, 'children.freezeDepths[0]', /must be >= 0, got -1/);
      assertProblem({ ...minimal(), children: { freezeDepths: [0], recipe: { epochs: 0 } } }, 'children.recipe.epochs', /must be >= 1/);
      assertProblem({ ...minimal(), target: { train: 'a', testFraction: 1.5 } }, 'target.testFraction', /must be < 1/);
    });
    it('an object key with odd characters is quoted in the path', () => {
      assertProblem({ ...minimal(), classMap: { 'T-shirt/top': -1 } }, 'classMap["T-shirt/top"]', /must be >= 0/);
    });
    it('a bad id', () => {
      assertProblem({ ...minimal(), existingChildren: [{ checkpoint: 'x', id: 'my child' }] }, 'existingChildren[0].id', /not allowed here/);
    });
    it('duplicate ids and equal freeze depths', () => {
      assertProblem({ ...minimal(), existingChildren: [{ checkpoint: 'a', id: 'mine' }, { checkpoint: 'b', id: 'mine' }] }, 'existingChildren[1].id', /already the id of existingChildren\[0\]/);
      assertProblem({ ...minimal(), children: { freezeDepths: ['full', 0] } }, 'children.freezeDepths', /"full" and 0 are the same/);
    });
    it('a bad data SPEC', () => {
      assertProblem({ ...minimal(), target: { train: 'nope:data' } }, 'target.train', /bad data SPEC/);
      assertProblem({ ...minimal(), target: { train: { spec: 'data?perClass=x' } } }, 'target.train.spec', /bad data SPEC/);
    });
    it('nothing to audit', () => {
      const c = minimal();
      delete c.children;
      assertProblem(c, 'children', /nothing to audit/);
    });
    it('reports every problem at once', () => {
      const problems = problemsOf({ foundation: 3, target: {}, probes: { interventions: { triggers: [] }, colour: {} } });
      for (const path of ['foundation', 'target.train', 'probes.interventions.triggers', 'probes.colour']) {
        assert.ok(problems.some((p) => p.startsWith(`${path}: `)), `no problem for ${path} in:\n  ${problems.join('\n  ')}`);
      }
    });
    it('the error message lists each problem on its own line', () => {
      try {
        resolveAuditConfig({ foundation: 3, target: {}, probes: {} }, CONFIG);
        assert.fail('no error');
      } catch (e) {
        assert.match((e as Error).message, /^\/project\/audits\/fashion\.biasaudit\.json: \d+ problems in the audit config:\n {2}foundation: must be a string/);
      }
    });
  });

  describe('the file', () => {
    it('gives the line and column of a JSON syntax error', async () => {
      const dir = await tempDir('config');
      const file = join(dir, 'bad.biasaudit.json');
      await writeFile(file, '{\n  "foundation": "x",\n  "target": { "train": "a" }\n  "probes": {}\n}\n');
      await assert.rejects(loadAuditConfig(file), (e: unknown) => e instanceof AuditError && e.code === 'BAD_CONFIG' && /not valid JSON at line 4, column \d+/.test(e.message) && e.file === file);
    });
    it('a missing file', async () => {
      await assert.rejects(loadAuditConfig('/nonexistent/x.biasaudit.json'), (e: unknown) => e instanceof AuditError && e.code === 'ENOENT');
    });
  });

  describe('the JSON Schema and the TypeScript types agree', () => {
    const schema = JSON.parse(readFileSync(join(REPO, 'schemas', 'biasaudit.schema.json'), 'utf8')) as { properties: Record<string, unknown>; definitions: Record<string, { properties?: Record<string, { description?: string }> }> };
    it('every top-level field of AuditConfig is in the schema and the other way round', () => {
      const typed: Record<keyof AuditConfig, true> = { $schema: true, name: true, description: true, foundation: true, target: true, classMap: true, children: true, existingChildren: true, probes: true, output: true, compute: true };
      assert.deepEqual(Object.keys(schema.properties).sort(), Object.keys(typed).sort());
    });
    it('every probe parameter has a description (editor completion)', () => {
      for (const probe of ['strongStimuli', 'interventions', 'plantedBias', 'groupDisparity', 'associations']) {
        for (const [name, field] of Object.entries(schema.definitions[probe].properties ?? {})) {
          assert.ok(typeof field.description === 'string' && field.description.length > 0, `${probe}.${name} has no description`);
        }
      }
    });
  });
});
