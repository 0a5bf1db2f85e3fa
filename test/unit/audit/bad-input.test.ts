import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../../src/audit/config/config-error';
import { runAudit } from '../../../src/audit/run';
import { buildSmallResNet } from '../../../src/engine/model/builders/small-resnet';
import { asFoundation } from '../../../src/engine/model/foundation';
import { saveModel } from '../../../src/engine/model/save';
import { useBackend } from '../helpers/tf';
import { makeConceptFolders, sharedTinyFoundation, tempDir, tinyConfig, writeConfig } from './helpers/tiny-audit';

/**
 * Every kind of bad input of issue 3 ("Bad input") fails with a ConfigError naming the field before anything is
 * trained: the run folder is never created.
 */
describe('audit: bad input fails before any training', function () {
  this.timeout(300_000);
  let foundation: string;
  let dir: string;
  before(async () => {
    await useBackend((process.env.AUDIT_TEST_BACKEND ?? 'wasm') as 'wasm');
    foundation = await sharedTinyFoundation();
    dir = await tempDir('bad-input');
  });

  async function expectProblems(name: string, config: Record<string, unknown>, expected: [string, RegExp][]): Promise<void> {
    const file = await writeConfig(dir, name, config);
    const out = join(dir, 'runs');
    await assert.rejects(runAudit(file, { outDir: out }), (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e instanceof Error ? e.stack : String(e)}`);
      for (const [path, pattern] of expected) {
        assert.ok(e.problems.some((p) => p.path === path && pattern.test(p.message)), `expected ${path}: ${pattern} among\n  ${e.problems.map((p) => `${p.path}: ${p.message}`).join('\n  ')}`);
      }
      return true;
    });
    assert.equal(existsSync(join(out, name)), false, 'the run folder must not exist: nothing may start before the config is valid');
  }

  it('wrong fields', async () => {
    await expectProblems('wrong-fields', { ...tinyConfig(foundation, { interventions: { triggers: ['square'], bootstrap: 5 } }), colour: 'red' }, [
      ['colour', /unknown field/],
      ['probes.interventions.bootstrap', /unknown field/],
    ]);
  });

  it('a class map naming a class the foundation does not have', async () => {
    await expectProblems('class-map', { ...tinyConfig(foundation, { strongStimuli: { steps: 2 } }), classMap: { Zebra: 0 } }, [['classMap', /no foundation class named 'Zebra'/]]);
  });

  it('an existing child whose class count does not match the target data', async () => {
    const model = buildSmallResNet({ inputShape: [28, 28, 1], numClasses: 2, seed: 3, width: 4 });
    const twoClasses = join(dir, 'two-classes');
    await saveModel(asFoundation(model, { classNames: ['a', 'b'], normalization: { scale: 1 / 255, mean: [0], std: [1] }, seed: 3 }), twoClasses);
    model.dispose();
    await expectProblems('child-classes', { ...tinyConfig(foundation, { interventions: { triggers: ['square'] } }), existingChildren: [{ checkpoint: join(twoClasses, 'model.json'), freezeDepth: 2, seed: 0 }] }, [
      ['existingChildren[0].checkpoint', /the model has 2 classes, the target data 3/],
    ]);
  });

  it('a trigger PNG that does not decode', async () => {
    await writeFile(join(dir, 'broken.png'), Buffer.from('this is not a PNG file'));
    await expectProblems('bad-png', tinyConfig(foundation, { interventions: { triggers: ['patch:file=broken.png,size=0.3'] } }), [['probes.interventions', /broken\.png/]]);
  });

  it('a concept folder with fewer images than a subset needs', async () => {
    const concepts = await makeConceptFolders(dir, 6);
    await expectProblems('small-concepts', tinyConfig(foundation, { associations: { concepts, subsetSize: 10 } }), [['probes.associations.concepts', /Bag: holds 6 images but a subset of probes\.associations\.subsetSize = 10 needs at least 10/]]);
  });

  it('a dataset without the attribute the group probe needs', async () => {
    await expectProblems('no-attribute', tinyConfig(foundation, { groupDisparity: { attribute: 'gender' } }), [['probes.groupDisparity', /no attribute "gender"/]]);
  });

  it('a missing foundation, missing data and an out-of-range freeze depth, all at once', async () => {
    await expectProblems('missing', { ...tinyConfig(join(dir, 'nowhere', 'model.json'), { interventions: { triggers: ['square'] } }), target: { train: join(dir, 'no-such-folder') } }, [
      ['foundation', /./],
      ['target.train', /./],
    ]);
    await expectProblems('depth', { ...tinyConfig(foundation, { interventions: { triggers: ['square'] } }), children: { freezeDepths: [9], seeds: [0] } }, [['children.freezeDepths[0]', /out of range: this model has 4 blocks/]]);
  });

  it('a bad probe parameter the schema cannot see', async () => {
    await expectProblems('exemplar', tinyConfig(foundation, { interventions: { triggers: ['square'], exampleIndex: 10_000 } }), [['probes.interventions.exampleIndex', /the test set has 48 images/]]);
    await expectProblems('jitter', tinyConfig(foundation, { strongStimuli: { jitterPixels: 20 } }), [['probes.strongStimuli.jitterPixels', /out of view/]]);
  });
});
