/**
 * Learning-rate schedules, evaluated per step (fractional epoch), so the rate changes smoothly inside an epoch.
 *
 * `cyclic` is the triangular one-cycle schedule the source papers use (Salman et al.'s code:
 * `np.interp(epoch, [0, peak_epoch, epochs], [0, lr, 0])`): linear warm-up from 0 to the peak rate at
 * `peakEpoch`, then linear decay to 0 at the last epoch.
 */
export type LearningRateSchedule =
  | { kind: 'constant' }
  | { kind: 'cyclic'; peakEpoch: number }
  | { kind: 'step'; everyEpochs: number; factor: number };

/** Learning rate at fractional epoch `t` (0 = start of training, `epochs` = end). */
export function learningRateAt(schedule: LearningRateSchedule, peakRate: number, t: number, epochs: number): number {
  switch (schedule.kind) {
    case 'constant':
      return peakRate;
    case 'cyclic': {
      const peak = Math.min(Math.max(schedule.peakEpoch, 0), epochs);
      if (t <= peak) return peak === 0 ? peakRate : peakRate * (t / peak);
      if (epochs === peak) return peakRate;
      return Math.max(0, peakRate * (1 - (t - peak) / (epochs - peak)));
    }
    case 'step':
      return peakRate * Math.pow(schedule.factor, Math.floor(t / schedule.everyEpochs));
  }
}
