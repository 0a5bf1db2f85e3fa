/** Training-curve shaping: one row per model x epoch, long format for line charts. */
import type { TrainingHistory } from '../../src/protocol/results';
import type { LiveCurve } from '../../src/protocol/webviewProtocol';

export interface CurvePoint {
  model: string;
  epoch: number;
  loss: number;
  accuracy: number;
}

export function curvePoints(curves: LiveCurve[]): CurvePoint[] {
  return curves.flatMap((c) => [...c.points].sort((a, b) => a.epoch - b.epoch).map((p) => ({ model: c.modelLabel, epoch: p.epoch, loss: p.loss, accuracy: p.accuracy })));
}

export function historyCurves(histories: TrainingHistory[], label: (modelId: string) => string): LiveCurve[] {
  return histories.map((h) => ({ modelId: h.modelId, modelLabel: label(h.modelId), points: h.epochs }));
}
