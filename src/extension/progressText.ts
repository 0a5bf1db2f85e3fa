/** One line for a progress update, shared by the notification and the status bar. */
import type { ProgressUpdate } from '../protocol/backendProtocol';

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export function formatProgress(p: ProgressUpdate): string {
  const parts = [`step ${Math.min(p.stepIndex + 1, p.stepsTotal)}/${p.stepsTotal}: ${p.stepLabel}`];
  if (p.epoch !== null && p.epochs !== null) parts.push(`epoch ${p.epoch}/${p.epochs}`);
  if (p.batch !== null && p.batches !== null) parts.push(`batch ${p.batch}/${p.batches}`);
  if (p.loss !== null) parts.push(`loss ${p.loss.toFixed(3)}`);
  if (p.accuracy !== null) parts.push(`acc ${(100 * p.accuracy).toFixed(1)}%`);
  if (p.imagesPerSecond !== null) parts.push(`${Math.round(p.imagesPerSecond)} img/s`);
  if (p.etaSeconds !== null) parts.push(`${formatSeconds(p.etaSeconds)} left`);
  return parts.join(' · ');
}

/** How far the current step is, in [0, 1), from its epoch and batch counters. */
export function stepFraction(p: ProgressUpdate): number {
  if (p.batch === null || p.batches === null || p.batches === 0) return 0;
  const epochs = p.epochs ?? 1;
  const epoch = p.epoch ?? 1;
  return Math.min(1, ((epoch - 1) * p.batches + p.batch) / (epochs * p.batches));
}
