/** Two runs, or two children of one run, side by side: key figures of a chosen model on each side, and each run's figures. */
import { CopyCsv, type RunView } from '../src/protocol/webviewProtocol';
import { asrChart, transferByDepthChart } from './charts';
import { emptyNote, h, select, tableElement } from './dom';
import { keyFigures } from './shaping/compare';
import { asrBars } from './shaping/interventions';
import { allModels } from './shaping/models';
import { transferByDepthSeries } from './shaping/stimuli';
import { toCsv, type Table } from './shaping/table';
import { getUiState, updateUiState } from './vscodeApi';
import { post } from './vscodeApi';

export interface CompareUiState {
  left: string;
  right: string;
  leftModel: string;
  rightModel: string;
}

const copy = (table: Table) => post(CopyCsv, { tableName: table.name, csv: toCsv(table) });

function side(run: RunView, modelId: string, onModel: (id: string) => void): HTMLElement {
  const r = run.results;
  const probe = r.probes.interventions;
  const stimuli = r.probes.strongStimuli;
  const series = stimuli ? transferByDepthSeries(stimuli) : null;
  return h(
    'div',
    { class: 'side' },
    h('h2', {}, r.runId),
    select('Model', allModels(r).map((m) => ({ value: m.id, label: m.label })), modelId, onModel),
    tableElement(keyFigures(r, modelId), copy),
    h('div', { class: 'charts' }, series ? transferByDepthChart(series.points, series.scratch) : emptyNote('No strong-stimuli probe.'), probe?.triggers[0] ? asrChart(asrBars(probe, probe.triggers[0].id)) : emptyNote('No interventions probe.')),
  );
}

export function renderComparison(left: RunView, right: RunView, leftModelId: string | null, rightModelId: string | null, rerender: () => void): HTMLElement {
  const saved = getUiState<CompareUiState>();
  const sameRuns = saved.left === left.runDir && saved.right === right.runDir;
  const pick = (run: RunView, savedId: string | undefined, given: string | null, fallbackIndex: number) => {
    const ids = allModels(run.results).map((m) => m.id);
    if (given && ids.includes(given)) return given;
    if (sameRuns && savedId && ids.includes(savedId)) return savedId;
    const children = run.results.lineage.children.map((c) => c.id);
    return children[Math.min(fallbackIndex, children.length - 1)] ?? ids[0];
  };
  const sameRun = left.runDir === right.runDir;
  const leftModel = pick(left, saved.leftModel, leftModelId, 0);
  const rightModel = pick(right, saved.rightModel, rightModelId, sameRun ? right.results.lineage.children.length - 1 : 0);
  updateUiState<CompareUiState>({ left: left.runDir, right: right.runDir, leftModel, rightModel });
  const onLeft = (id: string) => {
    updateUiState<CompareUiState>({ leftModel: id });
    rerender();
  };
  const onRight = (id: string) => {
    updateUiState<CompareUiState>({ rightModel: id });
    rerender();
  };
  return h('div', { class: 'compare' }, h('header', {}, h('h1', {}, sameRun ? `Compare two models of ${left.results.runId}` : 'Compare two runs')), h('div', { class: 'sides' }, side(left, leftModel, onLeft), side(right, rightModel, onRight)));
}
