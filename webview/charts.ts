/**
 * Charts as SVG with Observable Plot, in the editor theme's colours. Plot writes colours into SVG attributes, where
 * CSS var() does not resolve, so theme variables are read from the computed style first.
 */
import * as Plot from '@observablehq/plot';
import type { AsrBar, HistogramBar } from './shaping/interventions';
import type { DepthPoint } from './shaping/stimuli';
import type { CurvePoint } from './shaping/training';
import type { AssociationPoint } from './shaping/associations';
import type { BiasAccuracyPoint } from './shaping/groups';
import { h } from './dom';

function themeColor(variable: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(variable).trim() || fallback;
}

function palette(): string[] {
  return [
    themeColor('--vscode-charts-blue', '#3794ff'),
    themeColor('--vscode-charts-orange', '#d18616'),
    themeColor('--vscode-charts-green', '#89d185'),
    themeColor('--vscode-charts-purple', '#b180d7'),
    themeColor('--vscode-charts-red', '#f14c4c'),
    themeColor('--vscode-charts-yellow', '#cca700'),
  ];
}

function base(): Partial<Plot.PlotOptions> {
  return {
    width: 560,
    height: 260,
    marginLeft: 56,
    style: { background: 'transparent', color: themeColor('--vscode-foreground', '#ccc'), fontFamily: 'var(--vscode-font-family)', fontSize: '11px' },
    color: { range: palette(), legend: true },
  };
}

function figure(title: string, svg: Element): HTMLElement {
  return h('figure', { class: 'chart', 'data-chart': title }, h('figcaption', {}, title), svg);
}

export function trainingCharts(points: CurvePoint[]): HTMLElement[] {
  const line = (y: 'loss' | 'accuracy') =>
    figure(`Training ${y} per model`, Plot.plot({ ...base(), y: { label: y, grid: true }, x: { label: 'epoch' }, marks: [Plot.line(points, { x: 'epoch', y, stroke: 'model', marker: 'dot' }), Plot.ruleY([y === 'loss' ? 0 : 0])] }));
  return [line('loss'), line('accuracy')];
}

export function transferByDepthChart(points: DepthPoint[], scratch: number | null): HTMLElement {
  const [blue, orange] = palette();
  return figure(
    'Classes with strong-stimulus transfer by freeze depth (scratch dashed)',
    Plot.plot({
      ...base(),
      color: undefined,
      x: { label: 'freeze depth', type: 'band' },
      y: { label: 'outperforming classes', grid: true, zero: true },
      marks: [
        Plot.barY(points, { x: 'freezeDepth', y: 'mean', fill: blue, fillOpacity: 0.7 }),
        Plot.ruleX(points, { x: 'freezeDepth', y1: 'low', y2: 'high', stroke: 'currentColor', strokeWidth: 2 }),
        ...(scratch === null ? [] : [Plot.ruleY([scratch], { stroke: orange, strokeDasharray: '6 4', strokeWidth: 2 })]),
      ],
    }),
  );
}

export function asrChart(bars: AsrBar[]): HTMLElement {
  return figure(
    'ASR per freeze depth: child versus scratch (± std over seeds)',
    Plot.plot({
      ...base(),
      fx: { label: 'freeze depth' },
      x: { axis: null, domain: ['child', 'scratch'] },
      y: { label: 'ASR', grid: true, domain: [0, Math.max(0.05, ...bars.map((b) => b.high)) * 1.1] },
      marks: [Plot.barY(bars, { fx: 'freezeDepth', x: 'group', y: 'mean', fill: 'group' }), Plot.ruleX(bars, { fx: 'freezeDepth', x: 'group', y1: 'low', y2: 'high', stroke: 'currentColor', strokeWidth: 2 }), Plot.ruleY([0])],
    }),
  );
}

export function histogramChart(bars: HistogramBar[], title: string): HTMLElement {
  return figure(
    title,
    Plot.plot({
      ...base(),
      height: 280,
      marginBottom: 70,
      fx: { label: null, tickRotate: -35, domain: [...new Set(bars.map((b) => b.className))] },
      x: { axis: null, domain: ['clean', 'triggered'] },
      y: { label: 'share of predictions', grid: true },
      marks: [Plot.barY(bars, { fx: 'className', x: 'condition', y: 'share', fill: 'condition' }), Plot.ruleY([0])],
    }),
  );
}

export function biasAccuracyChart(points: BiasAccuracyPoint[]): HTMLElement {
  return figure(
    'Bias versus accuracy across finetuning-data interventions',
    Plot.plot({ ...base(), x: { label: 'accuracy gap between groups', grid: true }, y: { label: 'accuracy', grid: true }, marks: [Plot.dot(points, { x: 'gap', y: 'accuracy', fill: 'intervention', r: 5, symbol: 'model' }), Plot.text(points, { x: 'gap', y: 'accuracy', text: 'model', dy: -10 })] }),
  );
}

export function associationScatterChart(points: AssociationPoint[], childLabel: string): HTMLElement {
  const values = points.flatMap((p) => [p.foundation, p.child]);
  const domain: [number, number] = [Math.min(...values, 0), Math.max(...values, 0.1)];
  return figure(
    `Associations before (foundation) and after (${childLabel})`,
    Plot.plot({
      ...base(),
      color: undefined,
      x: { label: 'foundation association', domain, grid: true },
      y: { label: 'child association', domain, grid: true },
      marks: [Plot.line(domain.map((v) => ({ v })), { x: 'v', y: 'v', strokeDasharray: '4 4', strokeOpacity: 0.5 }), Plot.dot(points, { x: 'foundation', y: 'child', fill: palette()[0], r: 5 }), Plot.text(points, { x: 'foundation', y: 'child', text: 'comparison', dy: -10 })],
    }),
  );
}
