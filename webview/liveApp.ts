/** The Bias Audit view: the latest run's summary and, while an audit runs, its progress and live training curves. */
import type { LiveState } from '../src/protocol/webviewProtocol';
import { trainingCharts } from './charts';
import { custom, emptyNote, h } from './dom';
import { curvePoints } from './shaping/training';

function progressLine(state: LiveState): string {
  const p = state.progress;
  if (!p) return 'starting…';
  const parts = [`step ${Math.min(p.stepIndex + 1, p.stepsTotal)}/${p.stepsTotal}: ${p.stepLabel}`];
  if (p.epoch !== null && p.epochs !== null) parts.push(`epoch ${p.epoch}/${p.epochs}`);
  if (p.batch !== null && p.batches !== null) parts.push(`batch ${p.batch}/${p.batches}`);
  if (p.loss !== null) parts.push(`loss ${p.loss.toFixed(3)}`);
  if (p.accuracy !== null) parts.push(`accuracy ${(100 * p.accuracy).toFixed(1)}%`);
  if (p.imagesPerSecond !== null) parts.push(`${Math.round(p.imagesPerSecond)} images/s`);
  if (p.etaSeconds !== null) parts.push(`about ${Math.round(p.etaSeconds)} s left`);
  return parts.join(' · ');
}

export function renderLive(state: LiveState): HTMLElement {
  const run = state.latestRun;
  const summary = run
    ? h(
        'div',
        { class: 'latest' },
        h('h2', {}, `Latest run: ${run.runId}`),
        h('p', { class: 'meta' }, `${run.state} · ${run.stepsDone}/${run.stepsTotal} steps · ${run.startedAt ?? ''}`),
        h('div', { class: 'headline' }, ...run.headline.map((f) => h('div', { class: 'figure' }, h('span', { class: 'value' }, f.value), h('span', { class: 'label' }, f.label)))),
      )
    : emptyNote('No audit run yet: right-click a model.json and choose Audit Bias Transfer.');
  const points = curvePoints(state.curves);
  const progress = state.running
    ? h(
        'div',
        { class: 'progress' },
        custom('vscode-progress-bar', state.progress ? { value: String(state.progress.stepIndex / Math.max(1, state.progress.stepsTotal)), max: '1' } : { indeterminate: '' }),
        h('p', { class: 'progress-line' }, progressLine(state)),
      )
    : null;
  return h(
    'div',
    { class: 'live' },
    h('p', { class: 'backend' }, `Backend: ${state.backend.state} (${state.backend.detail})`),
    progress,
    points.length > 0 ? h('div', { class: 'charts' }, ...trainingCharts(points)) : null,
    summary,
  );
}
