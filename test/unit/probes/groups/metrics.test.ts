import { strict as assert } from 'node:assert';
import { calibrateThreshold, groupDisparity } from '../../../../src/probes/groups-metrics';

describe('group disparity metrics', () => {
  it('computes per-group accuracy, TPR = TP/(TP+FN), FPR = FP/(FP+TN) and the gaps by hand', () => {
    // Group a: labels 1,1,1,0,0 predicted 1,1,0,0,1 -> TP 2, FN 1, TN 1, FP 1: acc 3/5, TPR 2/3, FPR 1/2.
    // Group b: labels 1,1,0,0,0 predicted 1,1,0,0,0 -> acc 1, TPR 1, FPR 0.
    const d = groupDisparity({
      labels: [1, 1, 1, 0, 0, 1, 1, 0, 0, 0],
      predicted: [1, 1, 0, 0, 1, 1, 1, 0, 0, 0],
      groupOf: ['a', 'a', 'a', 'a', 'a', 'b', 'b', 'b', 'b', 'b'],
      groups: ['a', 'b'],
      positiveClass: 1,
    });
    assert.equal(d.accuracy, 0.8);
    assert.deepEqual(d.perGroup, [
      { group: 'a', n: 5, accuracy: 0.6, truePositiveRate: 2 / 3, falsePositiveRate: 0.5 },
      { group: 'b', n: 5, accuracy: 1, truePositiveRate: 1, falsePositiveRate: 0 },
    ]);
    assert.ok(Math.abs(d.accuracyGap - 0.4) < 1e-12);
    assert.ok(Math.abs((d.tprGap as number) - 1 / 3) < 1e-12);
    assert.equal(d.fprGap, 0.5);
  });

  it('uses the positive class given, not class 1', () => {
    const d = groupDisparity({ labels: [0, 0, 1, 0, 1, 1], predicted: [0, 1, 1, 0, 0, 1], groupOf: ['a', 'a', 'a', 'b', 'b', 'b'], groups: ['a', 'b'], positiveClass: 0 });
    // Positive = 0. a: positives 0,1 predicted 0,1 -> TPR 1/2; negatives (index 2) predicted 1 -> FPR 0.
    assert.equal(d.perGroup[0].truePositiveRate, 0.5);
    assert.equal(d.perGroup[0].falsePositiveRate, 0);
    // b: positive (index 3) predicted 0 -> TPR 1; negatives 4, 5 predicted 0, 1 -> FPR 1/2.
    assert.equal(d.perGroup[1].truePositiveRate, 1);
    assert.equal(d.perGroup[1].falsePositiveRate, 0.5);
  });

  it('multi-class tasks report accuracy only; an undefined rate stays out of its gap', () => {
    const multi = groupDisparity({ labels: [0, 1, 2, 2], predicted: [0, 1, 1, 2], groupOf: ['x', 'x', 'y', 'y'], groups: ['x', 'y'], positiveClass: null });
    assert.equal(multi.perGroup[0].truePositiveRate, null);
    assert.equal(multi.tprGap, null);
    assert.equal(multi.accuracyGap, 0.5);
    // Group y has no positives: its TPR is null and no TPR gap exists.
    const noPositives = groupDisparity({ labels: [1, 0, 0, 0], predicted: [1, 0, 1, 0], groupOf: ['x', 'x', 'y', 'y'], groups: ['x', 'y'], positiveClass: 1 });
    assert.equal(noPositives.perGroup[1].truePositiveRate, null);
    assert.equal(noPositives.tprGap, null);
    assert.equal(noPositives.fprGap, 0.5);
  });

  it('calibrates the threshold that maximises validation accuracy, nearest 0.5 on ties', () => {
    // Positives score 0.3, 0.35, 0.9; negatives 0.1, 0.2: every threshold in (0.2, 0.3] is perfect.
    const t = calibrateThreshold([0.3, 0.35, 0.9, 0.1, 0.2], [true, true, true, false, false]);
    assert.equal(t, 0.25);
    // A perfectly separated set around 0.5 keeps 0.5.
    assert.equal(calibrateThreshold([0.2, 0.4, 0.6, 0.8], [false, false, true, true]), 0.5);
    // Unseparable: the best accuracy wins (3 of 4 at most).
    const u = calibrateThreshold([0.1, 0.6, 0.7, 0.8], [false, false, true, true]);
    assert.ok(u > 0.6 && u <= 0.7, String(u));
    assert.throws(() => calibrateThreshold([], []), /no validation images/);
  });
});
