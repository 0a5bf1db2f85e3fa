/**
 * Small self-contained SVG charts for the HTML report, generated in Node: grouped bar charts with error bars,
 * histograms, scatter plots and line curves. Plain strings, no scripts, no external references; text is escaped.
 */

export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

/** Escapes text for SVG/HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const fmt = (v: number): string => (Math.abs(v) >= 1000 || v === Math.round(v) ? String(Math.round(v)) : Math.abs(v) >= 10 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3).replace(/0+$/, '').replace(/\.$/, ''));
const px = (v: number): string => (Math.round(v * 10) / 10).toString();

/** Round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.floor(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function open(frame: Frame, title: string, description: string): string {
  return `<svg class="chart" viewBox="0 0 ${frame.width} ${frame.height}" width="${frame.width}" height="${frame.height}" role="img" aria-label="${escapeXml(title)}" ${FONT} font-size="11">` +
    `<title>${escapeXml(title)}</title><desc>${escapeXml(description)}</desc>` +
    `<text x="${px(frame.width / 2)}" y="14" text-anchor="middle" font-size="13" font-weight="600">${escapeXml(title)}</text>`;
}

function yAxis(frame: Frame, ticks: number[], y: (v: number) => number, label: string | undefined, percent: boolean): string {
  const x0 = frame.left;
  const x1 = frame.width - frame.right;
  const lines = ticks.map((t) => `<line x1="${x0}" x2="${x1}" y1="${px(y(t))}" y2="${px(y(t))}" stroke="#ddd"/>` +
    `<text x="${x0 - 4}" y="${px(y(t) + 3.5)}" text-anchor="end" fill="#444">${escapeXml(percent ? `${fmt(t * 100)}%` : fmt(t))}</text>`).join('');
  const title = label ? `<text transform="translate(12 ${px((frame.top + frame.height - frame.bottom) / 2)}) rotate(-90)" text-anchor="middle" fill="#222">${escapeXml(label)}</text>` : '';
  return lines + title + `<line x1="${x0}" x2="${x0}" y1="${frame.top}" y2="${frame.height - frame.bottom}" stroke="#888"/>`;
}

function legend(frame: Frame, names: string[], colors: string[]): string {
  if (names.length <= 1) return '';
  let x = frame.left;
  const y = frame.height - 8;
  return names.map((name, i) => {
    const item = `<rect x="${px(x)}" y="${y - 9}" width="10" height="10" fill="${colors[i % colors.length]}"/><text x="${px(x + 14)}" y="${y}" fill="#222">${escapeXml(name)}</text>`;
    x += 24 + name.length * 6.2;
    return item;
  }).join('');
}

export interface Bar {
  value: number;
  /** Interval drawn as an error bar (e.g. a 95% CI); null for none. */
  low?: number | null;
  high?: number | null;
  /** Tooltip text. */
  note?: string;
}

export interface BarChartOptions {
  title: string;
  /** One group per x position; each group has one bar per series (null: no bar). */
  groups: { label: string; bars: (Bar | null)[] }[];
  series: string[];
  yLabel?: string;
  /** Fix the value axis (default: from the data, including 0). */
  yDomain?: [number, number];
  /** Show values as percentages. */
  percent?: boolean;
  /** A horizontal reference line (e.g. the scratch baseline). */
  reference?: { value: number; label: string; low?: number | null; high?: number | null };
  width?: number;
  height?: number;
}

/** Grouped bars with error bars (whiskers from `low` to `high`). */
export function barChart(o: BarChartOptions): string {
  const width = o.width ?? 560;
  // Labels wider than their slot are slanted (and the plot gets room for them below).
  const longest = Math.max(0, ...o.groups.map((g) => g.label.length));
  const slanted = longest * 6.2 > (width - 64) / Math.max(1, o.groups.length);
  const labelRoom = slanted ? Math.min(90, 8 + longest * 3.4) : 0;
  const frame: Frame = { width, height: (o.height ?? 280) + labelRoom, left: 52, right: 12, top: 26, bottom: (o.series.length > 1 ? 52 : 38) + labelRoom };
  const values = o.groups.flatMap((g) => g.bars.flatMap((b) => (b ? [b.value, b.low ?? b.value, b.high ?? b.value] : [])));
  if (o.reference) values.push(o.reference.value, o.reference.low ?? o.reference.value, o.reference.high ?? o.reference.value);
  const [lo, hi] = o.yDomain ?? [Math.min(0, ...values), Math.max(0, ...values)];
  const ticks = o.yDomain ? niceTicks(lo, hi).filter((t) => t >= lo - 1e-12 && t <= hi + 1e-12) : niceTicks(lo, hi);
  const yMin = o.yDomain ? lo : Math.min(ticks[0], lo);
  const yMax = o.yDomain ? hi : Math.max(ticks[ticks.length - 1], hi);
  const plotH = frame.height - frame.top - frame.bottom;
  const y = (v: number): number => frame.top + plotH * (1 - (v - yMin) / (yMax - yMin || 1));
  const plotW = frame.width - frame.left - frame.right;
  const groupW = plotW / Math.max(1, o.groups.length);
  const barW = Math.min(36, (groupW * 0.8) / Math.max(1, o.series.length));
  let body = yAxis(frame, ticks, y, o.yLabel, o.percent ?? false);
  o.groups.forEach((g, gi) => {
    const cx = frame.left + groupW * (gi + 0.5);
    const start = cx - (barW * o.series.length) / 2;
    g.bars.forEach((b, si) => {
      if (!b) return;
      const x = start + barW * si;
      const top = y(Math.max(0, b.value));
      const bottom = y(Math.min(0, b.value));
      const tip = `${g.label}${o.series.length > 1 ? ` · ${o.series[si]}` : ''}: ${o.percent ? `${fmt(b.value * 100)}%` : fmt(b.value)}${b.note ? ` (${b.note})` : ''}`;
      body += `<rect x="${px(x + 1)}" y="${px(top)}" width="${px(barW - 2)}" height="${px(Math.max(0.5, bottom - top))}" fill="${PALETTE[si % PALETTE.length]}"><title>${escapeXml(tip)}</title></rect>`;
      if (b.low !== null && b.low !== undefined && b.high !== null && b.high !== undefined) {
        const mx = x + barW / 2;
        // An interval reaching past a fixed axis (a rate's CI below 0) is drawn to the axis' end, without a cap there.
        const low = Math.max(yMin, b.low);
        const high = Math.min(yMax, b.high);
        body += `<g class="error-bar" stroke="#222" stroke-width="1.2"><line x1="${px(mx)}" x2="${px(mx)}" y1="${px(y(low))}" y2="${px(y(high))}"/>` +
          (low === b.low ? `<line x1="${px(mx - 4)}" x2="${px(mx + 4)}" y1="${px(y(low))}" y2="${px(y(low))}"/>` : '') +
          (high === b.high ? `<line x1="${px(mx - 4)}" x2="${px(mx + 4)}" y1="${px(y(high))}" y2="${px(y(high))}"/>` : '') + '</g>';
      }
    });
    body += slanted
      ? `<text transform="translate(${px(cx + 3)} ${frame.height - frame.bottom + 10}) rotate(-30)" text-anchor="end" fill="#222">${escapeXml(g.label)}</text>`
      : `<text x="${px(cx)}" y="${frame.height - frame.bottom + 14}" text-anchor="middle" fill="#222">${escapeXml(g.label)}</text>`;
  });
  if (o.reference) {
    const ry = y(o.reference.value);
    if (o.reference.low != null && o.reference.high != null) {
      body += `<rect x="${frame.left}" y="${px(y(o.reference.high))}" width="${px(plotW)}" height="${px(Math.max(0.5, y(o.reference.low) - y(o.reference.high)))}" fill="#999" opacity="0.15"/>`;
    }
    body += `<line class="reference" x1="${frame.left}" x2="${frame.width - frame.right}" y1="${px(ry)}" y2="${px(ry)}" stroke="#c00" stroke-dasharray="5 3"/>` +
      `<text x="${frame.width - frame.right - 2}" y="${px(ry - 4)}" text-anchor="end" fill="#c00">${escapeXml(o.reference.label)}</text>`;
  }
  body += `<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${px(y(0 < yMin ? yMin : 0))}" y2="${px(y(0 < yMin ? yMin : 0))}" stroke="#888"/>`;
  return `${open(frame, o.title, `bar chart: ${o.groups.map((g) => g.label).join(', ')}`)}${body}${legend(frame, o.series, PALETTE)}</svg>`;
}

export interface HistogramOptions {
  title: string;
  /** Bin labels (e.g. class names). */
  bins: string[];
  /** One count list per series (e.g. clean and triggered), each as long as `bins`. */
  series: { name: string; counts: number[] }[];
  /** Plot shares instead of counts. */
  normalize?: boolean;
  width?: number;
  height?: number;
}

/** Side-by-side histograms over the same bins (e.g. predicted classes with and without a trigger). */
export function histogram(o: HistogramOptions): string {
  const totals = o.series.map((s) => s.counts.reduce((a, b) => a + b, 0) || 1);
  return barChart({
    title: o.title,
    series: o.series.map((s) => s.name),
    groups: o.bins.map((label, i) => ({ label: label.length > 10 ? `${label.slice(0, 9)}…` : label, bars: o.series.map((s, si) => ({ value: o.normalize ? s.counts[i] / totals[si] : s.counts[i], note: `${s.counts[i]} images` })) })),
    yLabel: o.normalize ? 'share of images' : 'images',
    percent: o.normalize,
    width: o.width ?? Math.max(420, 40 + o.bins.length * 26 * Math.max(1, o.series.length)),
    height: o.height,
  });
}

export interface ScatterOptions {
  title: string;
  points: { x: number; y: number; series: number; label?: string }[];
  series: string[];
  xLabel: string;
  yLabel: string;
  xPercent?: boolean;
  yPercent?: boolean;
  width?: number;
  height?: number;
}

/** Points with optional labels, coloured by series. */
export function scatter(o: ScatterOptions): string {
  const frame: Frame = { width: o.width ?? 480, height: o.height ?? 300, left: 56, right: 16, top: 26, bottom: o.series.length > 1 ? 58 : 42 };
  const xs = o.points.map((p) => p.x);
  const ys = o.points.map((p) => p.y);
  const xt = niceTicks(Math.min(...xs, Infinity) === Infinity ? 0 : Math.min(...xs), Math.max(...xs, -Infinity) === -Infinity ? 1 : Math.max(...xs), 5);
  const yt = niceTicks(Math.min(...ys, Infinity) === Infinity ? 0 : Math.min(...ys), Math.max(...ys, -Infinity) === -Infinity ? 1 : Math.max(...ys), 5);
  const plotW = frame.width - frame.left - frame.right;
  const plotH = frame.height - frame.top - frame.bottom;
  const x = (v: number): number => frame.left + (plotW * (v - xt[0])) / (xt[xt.length - 1] - xt[0] || 1);
  const y = (v: number): number => frame.top + plotH * (1 - (v - yt[0]) / (yt[yt.length - 1] - yt[0] || 1));
  let body = yAxis(frame, yt, y, o.yLabel, o.yPercent ?? false);
  body += xt.map((t) => `<text x="${px(x(t))}" y="${frame.height - frame.bottom + 14}" text-anchor="middle" fill="#444">${escapeXml(o.xPercent ? `${fmt(t * 100)}%` : fmt(t))}</text>`).join('');
  body += `<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${frame.height - frame.bottom}" y2="${frame.height - frame.bottom}" stroke="#888"/>`;
  body += `<text x="${px(frame.left + plotW / 2)}" y="${frame.height - frame.bottom + 28}" text-anchor="middle" fill="#222">${escapeXml(o.xLabel)}</text>`;
  for (const p of o.points) {
    const tip = `${p.label ? `${p.label}: ` : ''}${o.xLabel} ${fmt(p.x)}, ${o.yLabel} ${fmt(p.y)}`;
    body += `<circle cx="${px(x(p.x))}" cy="${px(y(p.y))}" r="4" fill="${PALETTE[p.series % PALETTE.length]}" fill-opacity="0.85"><title>${escapeXml(tip)}</title></circle>`;
  }
  return `${open(frame, o.title, `scatter plot of ${o.yLabel} against ${o.xLabel}`)}${body}${legend(frame, o.series, PALETTE)}</svg>`;
}

export interface LineChartOptions {
  title: string;
  series: { name: string; points: [number, number][]; dashed?: boolean }[];
  xLabel: string;
  yLabel: string;
  yPercent?: boolean;
  width?: number;
  height?: number;
}

/** Curves (e.g. validation accuracy per epoch, one line per model). */
export function lineChart(o: LineChartOptions): string {
  const frame: Frame = { width: o.width ?? 560, height: o.height ?? 280, left: 56, right: 16, top: 26, bottom: 42 + 14 * Math.ceil(o.series.length / 4) };
  const all = o.series.flatMap((s) => s.points);
  const xMin = Math.min(...all.map((p) => p[0]), 1);
  const xMax = Math.max(...all.map((p) => p[0]), 1);
  const integerX = all.every((p) => Number.isInteger(p[0]));
  const xt = integerX && xMax - xMin <= 12 ? Array.from({ length: xMax - xMin + 1 }, (_, i) => xMin + i) : niceTicks(xMin, xMax, 6);
  const yt = niceTicks(Math.min(...all.map((p) => p[1]), 0), Math.max(...all.map((p) => p[1]), 1), 5);
  const plotW = frame.width - frame.left - frame.right;
  const plotH = frame.height - frame.top - frame.bottom;
  const x = (v: number): number => frame.left + (plotW * (v - xt[0])) / (xt[xt.length - 1] - xt[0] || 1);
  const y = (v: number): number => frame.top + plotH * (1 - (v - yt[0]) / (yt[yt.length - 1] - yt[0] || 1));
  let body = yAxis(frame, yt, y, o.yLabel, o.yPercent ?? false);
  body += xt.map((t) => `<text x="${px(x(t))}" y="${frame.height - frame.bottom + 14}" text-anchor="middle" fill="#444">${escapeXml(fmt(t))}</text>`).join('');
  body += `<line x1="${frame.left}" x2="${frame.width - frame.right}" y1="${frame.height - frame.bottom}" y2="${frame.height - frame.bottom}" stroke="#888"/>`;
  body += `<text x="${px(frame.left + plotW / 2)}" y="${frame.height - frame.bottom + 28}" text-anchor="middle" fill="#222">${escapeXml(o.xLabel)}</text>`;
  o.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const color = PALETTE[i % PALETTE.length];
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${px(x(p[0]))} ${px(y(p[1]))}`).join(' ');
    body += `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="5 3"' : ''}><title>${escapeXml(s.name)}</title></path>`;
    body += s.points.map((p) => `<circle cx="${px(x(p[0]))}" cy="${px(y(p[1]))}" r="2.5" fill="${color}"><title>${escapeXml(`${s.name}: ${o.xLabel} ${fmt(p[0])}, ${o.yPercent ? `${fmt(p[1] * 100)}%` : fmt(p[1])}`)}</title></circle>`).join('');
  });
  // Legend in rows of four below the axis title.
  o.series.forEach((s, i) => {
    const col = i % 4;
    const row = Math.floor(i / 4);
    const lx = frame.left + col * (plotW / 4);
    const ly = frame.height - frame.bottom + 44 + row * 14;
    body += `<rect x="${px(lx)}" y="${ly - 8}" width="10" height="3" fill="${PALETTE[i % PALETTE.length]}"/><text x="${px(lx + 14)}" y="${ly}" fill="#222">${escapeXml(s.name.length > 22 ? `${s.name.slice(0, 21)}…` : s.name)}</text>`;
  });
  return `${open(frame, o.title, `line chart of ${o.yLabel} against ${o.xLabel}`)}${body}</svg>`;
}
