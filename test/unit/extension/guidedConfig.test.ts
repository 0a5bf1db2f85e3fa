/**
 * The guided "Audit Bias Transfer" flow's pure parts against the REAL audit config loader (schema and rules), the
 * explorer menu's `when` clause, and the single-probe summary.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveAuditConfig } from '../../../src/audit/config/resolve-config';
import { buildAuditConfig, DEFAULT_TRIGGER, FASHION_MNIST_TARGET, guidedConfigFileName, isAuditableCheckpoint, type GuidedAnswers } from '../../../src/extension/auditConfigTemplate';
import { summarizeProbeResult } from '../../../src/extension/probeSummary';

const ROOT = join(__dirname, '../../../..');
const ANSWERS: GuidedAnswers = { targetTrain: 'idx:train-images.gz,train-labels.gz?classes=0-2', targetTest: null, freezeDepths: [0, 2, 4], seeds: [0, 1, 2], probes: ['strongStimuli', 'interventions'] };

describe('extension/guided config', () => {
  it('writes a config the audit loader accepts, for model.json and for foreign checkpoints', () => {
    for (const model of ['model.json', 'resnet18.pt', 'net.safetensors', 'tiny.onnx', 'legacy.pth']) {
      const file = `/work/models/${guidedConfigFileName(model, 'models')}`;
      const resolved = resolveAuditConfig(buildAuditConfig(model, ANSWERS), file);
      assert.equal(resolved.foundation, `/work/models/${model}`);
      assert.deepEqual(resolved.children?.freezeDepths, [0, 2, 4]);
      assert.deepEqual(resolved.children?.seeds, [0, 1, 2]);
      assert.deepEqual(Object.keys(resolved.probes).sort(), ['interventions', 'strongStimuli']);
      assert.equal(resolved.outputRoot, '/work/models/bias-audit-runs');
    }
  });

  it('passes a test set and overrides (recipe, probe parameters) through, and the loader accepts them', () => {
    const answers: GuidedAnswers = { ...ANSWERS, targetTest: 'idx:t10k-images.gz,t10k-labels.gz', overrides: { recipe: { epochs: 1, batchSize: 8 }, probes: { strongStimuli: { steps: 16 }, interventions: { bootstrapResamples: 100 } } } };
    const config = buildAuditConfig('model.json', answers) as { children: { recipe: unknown }; probes: Record<string, unknown> };
    assert.deepEqual(config.children.recipe, { epochs: 1, batchSize: 8 });
    assert.deepEqual(config.probes, { strongStimuli: { steps: 16 }, interventions: { triggers: [DEFAULT_TRIGGER], bootstrapResamples: 100 } });
    const resolved = resolveAuditConfig(config, '/work/m/m.biasaudit.json');
    assert.equal(resolved.children?.recipe.epochs, 1);
    assert.equal(resolved.target.test?.written, 'idx:t10k-images.gz,t10k-labels.gz');
  });

  it('offers Fashion-MNIST as SPECs the loader parses (train and the t10k test split)', () => {
    const resolved = resolveAuditConfig(buildAuditConfig('model.json', { ...ANSWERS, targetTrain: FASHION_MNIST_TARGET.train, targetTest: FASHION_MNIST_TARGET.test }), '/work/m/m.biasaudit.json');
    assert.equal(resolved.target.train.spec.source.kind, 'idx');
    assert.equal(resolved.target.test?.spec.source.kind, 'idx');
  });

  it('is rejected by the loader, with the field named, when an override is wrong (the check is real)', () => {
    const config = buildAuditConfig('model.json', { ...ANSWERS, overrides: { recipe: { epochs: 0 } } });
    assert.throws(() => resolveAuditConfig(config, '/work/m/m.biasaudit.json'), /children\.recipe\.epochs/);
  });

  it('names the config after the folder for model.json and after the file for other checkpoints', () => {
    assert.equal(guidedConfigFileName('model.json', 'foundation'), 'foundation.biasaudit.json');
    assert.equal(guidedConfigFileName('resnet18.pt', 'weights'), 'resnet18.biasaudit.json');
    assert.equal(guidedConfigFileName('my model v2.safetensors', 'x'), 'my-model-v2.biasaudit.json');
    assert.equal(guidedConfigFileName('model.json', ''), 'model.biasaudit.json');
  });
});

describe('extension/explorer menu', () => {
  const menus = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { contributes: { menus: Record<string, { command: string; when: string }[]> } }).contributes.menus['explorer/context'];

  /** Evaluates the `resourceFilename == model.json || resourceExtname =~ /RE/FLAGS` clauses the menu uses. */
  function menuShows(command: string, fileName: string): boolean {
    const entry = menus.find((m) => m.command === command);
    assert.ok(entry, `${command} has no explorer menu entry`);
    const ext = /(\.[^.]*)$/.exec(fileName)?.[1] ?? '';
    return entry.when.split('||').some((clause) => {
      const equals = /^\s*resourceFilename == (\S+)\s*$/.exec(clause);
      if (equals) return fileName === equals[1];
      const regex = /^\s*resourceExtname =~ \/(.+)\/(\w*)\s*$/.exec(clause);
      if (regex) return new RegExp(regex[1], regex[2]).test(ext);
      throw new Error(`unexpected when clause: ${clause}`);
    });
  }

  it('offers Audit Bias Transfer and Run Single Probe on exactly the checkpoints the audit opens', () => {
    for (const file of ['model.json', 'resnet.pt', 'resnet.PTH', 'w.safetensors', 'net.onnx', 'config.json', 'a.biasaudit.json', 'weights.bin', 'notes.txt', 'pt', 'model.json.bak']) {
      for (const command of ['biasAudit.auditModel', 'biasAudit.runProbe']) {
        assert.equal(menuShows(command, file), isAuditableCheckpoint(file), `${command} on ${file}`);
      }
    }
    assert.equal(isAuditableCheckpoint('net.onnx'), true);
    assert.equal(isAuditableCheckpoint('config.json'), false);
  });
});

describe('extension/probeSummary', () => {
  it('summarises an asr result with its denominator and the targeted ASR', () => {
    const text = summarizeProbeResult({ probe: 'asr', asr: 0.125, asrDenominator: 24, cleanAccuracy: 0.8, testImages: 30, targetClass: 2, targetedAsr: 0.05 });
    assert.equal(text, 'ASR 12.5% of 24 correctly classified images (clean accuracy 80.0%, 30 test images); targeted ASR 5.0% towards class 2');
  });

  it('summarises a stimuli result with how many the model classifies as their class', () => {
    const stimuli = [{ foundationClass: 0, foundationPredicted: 0 }, { foundationClass: 1, foundationPredicted: 0 }];
    assert.equal(summarizeProbeResult({ probe: 'stimuli', out: '/s', stimuli }), '2 strong stimuli saved to /s (1 of 2 classified as their class by the model)');
    assert.equal(summarizeProbeResult(null), 'the probe returned no result');
  });
});
