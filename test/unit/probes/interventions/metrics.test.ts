import { strict as assert } from 'node:assert';
import { AuditError } from '../../../../src/engine/util/errors';
import { accuracyOf, attackSuccessRate, interventionMetrics, targetedAttackSuccessRate } from '../../../../src/probes/interventions-metrics';

describe('intervention metrics', () => {
  // Six test images of 3 classes. Clean: images 0, 1, 3 correct (3 of 6); the trigger flips 0 and 3.
  const labels = [0, 1, 2, 0, 1, 2];
  const clean = [0, 1, 0, 0, 2, 1];
  const triggered = [2, 1, 2, 2, 2, 2];

  it('ASR is exactly 2/3 with denominator 3', () => {
    assert.deepEqual(attackSuccessRate(labels, clean, triggered), { rate: 2 / 3, numerator: 2, denominator: 3 });
  });

  it('targeted ASR counts images of other classes predicted as the target, whatever the clean prediction', () => {
    // y != 2: images 0, 1, 3, 4; predicted 2 with the trigger: 0, 3, 4.
    assert.deepEqual(targetedAttackSuccessRate(labels, triggered, 2), { rate: 3 / 4, numerator: 3, denominator: 4 });
    // y != 1: images 0, 2, 3, 5, none predicted 1 with the trigger.
    assert.deepEqual(targetedAttackSuccessRate(labels, triggered, 1), { rate: 0, numerator: 0, denominator: 4 });
  });

  it('an undefined rate is null, not 0', () => {
    assert.equal(attackSuccessRate([0, 1], [1, 0], [0, 1]).rate, null);
    assert.equal(targetedAttackSuccessRate([1, 1], [1, 1], 1).rate, null);
  });

  it('reports histograms, total variation, entropy and top-class share by hand', () => {
    const m = interventionMetrics({ labels, clean, triggered, numClasses: 3, targetClass: 2 }, { resamples: 0, seed: 1 });
    assert.equal(m.cleanAccuracy, 0.5);
    assert.equal(m.asr, 2 / 3);
    assert.equal(m.asrDenominator, 3);
    assert.equal(m.targetedAsr, 3 / 4);
    assert.equal(m.targetedAsrDenominator, 4);
    assert.deepEqual(m.histogramClean, [3, 2, 1]);
    assert.deepEqual(m.histogramTriggered, [0, 1, 5]);
    // TV = (|3-0| + |2-1| + |1-5|) / 2 / 6 = 8/12.
    assert.ok(Math.abs(m.totalVariation - 2 / 3) < 1e-12);
    const h = (ps: number[]): number => -ps.filter((p) => p > 0).reduce((s, p) => s + p * Math.log(p), 0);
    assert.ok(Math.abs(m.entropyClean - h([3 / 6, 2 / 6, 1 / 6])) < 1e-12);
    assert.ok(Math.abs(m.entropyTriggered - h([1 / 6, 5 / 6])) < 1e-12);
    assert.equal(m.topClassShareClean, 0.5);
    assert.equal(m.topClassShareTriggered, 5 / 6);
    assert.equal(m.topClassTriggered, 2);
    assert.equal(m.cleanAccuracyCi95, null);
    assert.equal(m.asrCi95, null);
  });

  it('bootstrap intervals contain the estimate and are reproducible by seed', () => {
    const n = 200;
    const ls = Array.from({ length: n }, (_, i) => i % 4);
    const cs = ls.map((y, i) => (i % 5 === 0 ? (y + 1) % 4 : y));
    const ts = ls.map((y, i) => (i % 3 === 0 ? (y + 2) % 4 : y));
    const a = interventionMetrics({ labels: ls, clean: cs, triggered: ts, numClasses: 4, targetClass: null }, { resamples: 300, seed: 5 });
    const b = interventionMetrics({ labels: ls, clean: cs, triggered: ts, numClasses: 4, targetClass: null }, { resamples: 300, seed: 5 });
    assert.deepEqual(a.asrCi95, b.asrCi95);
    const [lo, hi] = a.asrCi95 as [number, number];
    assert.ok(lo < a.asr && a.asr < hi, `${lo} < ${a.asr} < ${hi}`);
    const [alo, ahi] = a.cleanAccuracyCi95 as [number, number];
    assert.ok(alo < 0.8 && 0.8 < ahi);
    assert.equal(accuracyOf(ls, cs), 0.8);
    assert.equal(a.targetedAsr, null);
  });

  it('refuses an undefined ASR and an out-of-range target class with clear errors', () => {
    assert.throws(() => interventionMetrics({ labels: [0, 1], clean: [1, 0], triggered: [0, 0], numClasses: 2, targetClass: null }, { resamples: 0, seed: 0 }, 'model child-k1-s1'),
      (e: unknown) => e instanceof AuditError && /child-k1-s1 classifies none of the 2 test images correctly/.test(e.message));
    assert.throws(() => interventionMetrics({ labels, clean, triggered, numClasses: 3, targetClass: 3 }, { resamples: 0, seed: 0 }), /target class 3 is outside/);
  });
});
