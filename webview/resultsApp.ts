/** The results panel: one run, a tab per probe, tables with CSV copy, SVG charts, the stimulus gallery. */
import { CopyCsv, OpenReport, type RunView } from '../src/protocol/webviewProtocol';
import type { AuditResults } from '../src/protocol/results';
import { asrChart, associationScatterChart, biasAccuracyChart, histogramChart, trainingCharts, transferByDepthChart } from './charts';
import { custom, emptyNote, h, select, tableElement } from './dom';
import { associationScatter, associationTable, btsByDepthTable, btsTable } from './shaping/associations';
import { biasAccuracyPoints, biasVersusAccuracyTable, groupTable, plantedBiasTable, plantedComparisonsTable } from './shaping/groups';
import { asrBars, histogramBars, interventionTable, transferTable } from './shaping/interventions';
import { allModels, modelLabel } from './shaping/models';
import { classSizeTable, galleryCards, labelModeTable, transferByDepthSeries, transferByDepthTable, type GalleryFilter } from './shaping/stimuli';
import { toCsv, type Table } from './shaping/table';
import { curvePoints, historyCurves } from './shaping/training';
import { getUiState, post, updateUiState } from './vscodeApi';

export interface ResultsUiState {
  runDir: string;
  tab: number;
  trigger: string;
  histogramModel: string;
  groupIntervention: string;
  scatterChild: string;
  gallery: GalleryFilter;
}

export const TAB_NAMES = ['Overview', 'Strong stimuli', 'Interventions', 'Groups', 'Associations'];

const copy = (table: Table) => post(CopyCsv, { tableName: table.name, csv: toCsv(table) });

function section(title: string, ...children: (Node | null)[]): HTMLElement {
  return h('section', { class: 'probe' }, h('h2', {}, title), ...children.filter((c): c is Node => c !== null));
}

function overview(run: RunView): HTMLElement {
  const r = run.results;
  const lineage: Table = {
    name: 'Lineage',
    headers: ['Model', 'Role', 'Freeze depth', 'Seed', 'Frozen blocks verified', 'Content hash'],
    rows: allModels(r).map((m) => [m.label, m.role, m.freezeDepth, m.seed, m.frozenBlocksVerified === null ? '—' : m.frozenBlocksVerified ? 'yes' : 'NO', m.contentHash.slice(0, 12)]),
  };
  const report = custom('vscode-button', { title: 'Open the self-contained report.html' }, 'Open report.html');
  report.addEventListener('click', () => post(OpenReport, { runDir: run.runDir }));
  const headline = h('div', { class: 'headline' }, ...r.headline.map((f) => h('div', { class: 'figure' }, h('span', { class: 'value' }, f.value), h('span', { class: 'label' }, f.label))));
  const curves = curvePoints(historyCurves(r.training, (id) => modelLabel(r, id)));
  return section(
    `Run ${r.runId}`,
    h('p', { class: 'meta' }, `${r.startedAt} → ${r.finishedAt} · ${r.computeBackend.detail} · target ${r.targetDataset.spec} (${r.targetDataset.classNames.length} classes, ${r.targetDataset.testCount} test images) · blocks ${r.lineage.blocks.join(', ')}`),
    headline,
    h('div', { class: 'actions' }, report),
    h('div', { class: 'charts' }, ...(curves.length ? trainingCharts(curves) : [emptyNote('No training history (children were audited as they are).')])),
    tableElement(lineage, copy),
  );
}

function strongStimuli(run: RunView, ui: ResultsUiState, rerender: () => void): HTMLElement {
  const r = run.results;
  const probe = r.probes.strongStimuli;
  if (!probe) return section('Strong stimuli', emptyNote('This run did not include the strong-stimuli probe.'));
  const series = transferByDepthSeries(probe);
  const cards = galleryCards(r, probe, ui.gallery);
  const filters = h(
    'div',
    { class: 'filters' },
    select('Class', [{ value: 'all', label: 'all classes' }, ...probe.foundationClassNames.map((n, i) => ({ value: String(i), label: n }))], ui.gallery.classIndex === null ? 'all' : String(ui.gallery.classIndex), (v) => {
      ui.gallery = { ...ui.gallery, classIndex: v === 'all' ? null : Number(v) };
      updateUiState<ResultsUiState>({ gallery: ui.gallery });
      rerender();
    }),
    select('Model', [{ value: 'all', label: 'all models' }, ...probe.perModel.map((m) => ({ value: m.modelId, label: modelLabel(r, m.modelId) }))], ui.gallery.modelId ?? 'all', (v) => {
      ui.gallery = { ...ui.gallery, modelId: v === 'all' ? null : v };
      updateUiState<ResultsUiState>({ gallery: ui.gallery });
      rerender();
    }),
    select('Show', [{ value: 'all', label: 'all stimuli' }, { value: 'out', label: 'outperforming only' }], ui.gallery.onlyOutperforming ? 'out' : 'all', (v) => {
      ui.gallery = { ...ui.gallery, onlyOutperforming: v === 'out' };
      updateUiState<ResultsUiState>({ gallery: ui.gallery });
      rerender();
    }),
  );
  const gallery = h(
    'div',
    { class: 'gallery' },
    ...cards.map((card) =>
      h(
        'div',
        { class: 'card' },
        run.imageUris[card.image] ? h('img', { src: run.imageUris[card.image], alt: `strong stimulus for ${card.className}`, class: 'stimulus' }) : h('div', { class: 'missing' }, 'image missing'),
        h('div', { class: 'card-title' }, card.className),
        h('ul', { class: 'predictions' }, ...card.predictions.map((p) => h('li', { class: p.outperforms === null ? '' : p.outperforms ? 'out' : 'under', title: p.distance ? `‖p − e_t‖ vs centroid: ${p.distance}` : '' }, `${p.outperforms === null ? '' : p.outperforms ? '▲ ' : '▽ '}${p.modelLabel}: ${p.predicted}`))),
      ),
    ),
  );
  const sizeTable = classSizeTable(probe, r.targetDataset.classNames);
  return section(
    'Strong stimuli',
    probe.classMappingNote ? emptyNote(probe.classMappingNote) : null,
    h('div', { class: 'charts' }, transferByDepthChart(series.points, series.scratch)),
    tableElement(transferByDepthTable(probe), copy),
    tableElement(labelModeTable(r, probe), copy),
    sizeTable ? tableElement(sizeTable, copy) : null,
    h('h3', {}, `Gallery (${cards.length} of ${probe.stimuli.length}; ▲ outperforms the class centroid, ▽ does not)`),
    filters,
    gallery,
  );
}

function interventions(run: RunView, ui: ResultsUiState, rerender: () => void): HTMLElement {
  const r = run.results;
  const probe = r.probes.interventions;
  const planted = r.probes.plantedBias;
  const parts: (Node | null)[] = [];
  if (probe && probe.triggers.length > 0) {
    const trigger = probe.triggers.find((t) => t.id === ui.trigger) ?? probe.triggers[0];
    const models = [...new Set(probe.perModel.map((m) => m.modelId))];
    const histogramModel = models.includes(ui.histogramModel) ? ui.histogramModel : (models.find((m) => m !== 'foundation') ?? models[0]);
    parts.push(
      h(
        'div',
        { class: 'filters' },
        select('Trigger', probe.triggers.map((t) => ({ value: t.id, label: t.spec })), trigger.id, (v) => {
          ui.trigger = v;
          updateUiState<ResultsUiState>({ trigger: v });
          rerender();
        }),
        select('Histogram of', models.map((m) => ({ value: m, label: modelLabel(r, m) })), histogramModel, (v) => {
          ui.histogramModel = v;
          updateUiState<ResultsUiState>({ histogramModel: v });
          rerender();
        }),
        trigger.example && run.imageUris[trigger.example] ? h('img', { src: run.imageUris[trigger.example], class: 'stimulus small', alt: `example with ${trigger.spec}` }) : null,
      ),
      h('div', { class: 'charts' }, asrChart(asrBars(probe, trigger.id)), histogramChart(histogramBars(probe, histogramModel, trigger.id), `Predictions with and without the trigger: ${modelLabel(r, histogramModel)}`)),
      tableElement(transferTable(probe, trigger.id), copy),
      tableElement(interventionTable(r, probe, trigger.id), copy),
    );
  } else {
    parts.push(emptyNote('This run did not include the interventions probe.'));
  }
  if (planted) parts.push(h('h2', {}, 'Planted bias'), tableElement(plantedBiasTable(planted), copy), tableElement(plantedComparisonsTable(planted), copy));
  return section('Interventions', ...parts);
}

function groups(run: RunView, ui: ResultsUiState, rerender: () => void): HTMLElement {
  const r = run.results;
  const probe = r.probes.groupDisparity;
  if (!probe) return section('Group disparity', emptyNote('This run did not include the group-disparity probe.'));
  const intervention = probe.interventions.find((i) => i.id === ui.groupIntervention) ?? probe.interventions[0];
  return section(
    `Group disparity by ${probe.attribute}`,
    h('div', { class: 'filters' }, select('Finetuning data', probe.interventions.map((i) => ({ value: i.id, label: i.label })), intervention?.id ?? '', (v) => {
      ui.groupIntervention = v;
      updateUiState<ResultsUiState>({ groupIntervention: v });
      rerender();
    })),
    tableElement(groupTable(r, probe, intervention?.id ?? ''), copy),
    h('div', { class: 'charts' }, biasAccuracyChart(biasAccuracyPoints(probe))),
    tableElement(biasVersusAccuracyTable(probe), copy),
  );
}

function associations(run: RunView, ui: ResultsUiState, rerender: () => void): HTMLElement {
  const r = run.results;
  const probe = r.probes.associations;
  if (!probe) return section('Associations', emptyNote('This run did not include the association probe.'));
  const children = probe.biasTransferScore.map((b) => b.modelId);
  const child = children.includes(ui.scatterChild) ? ui.scatterChild : children[children.length - 1];
  return section(
    'Associations and Bias Transfer Score',
    h('p', { class: 'meta' }, `${probe.concepts.map((c) => `${c.name} (${c.images})`).join(', ')} · subsets of ${probe.subsetSize}, ${probe.repeats} repeats${probe.weat ? ` · WEAT: ${probe.weat.targets.join('/')} vs ${probe.weat.attributes.join('/')}` : ''}`),
    h('div', { class: 'filters' }, select('Child', children.map((c) => ({ value: c, label: modelLabel(r, c) })), child ?? '', (v) => {
      ui.scatterChild = v;
      updateUiState<ResultsUiState>({ scatterChild: v });
      rerender();
    })),
    h('div', { class: 'charts' }, child ? associationScatterChart(associationScatter(probe, child, r.lineage.foundation.id), modelLabel(r, child)) : emptyNote('No children.')),
    tableElement(btsTable(r, probe), copy),
    tableElement(btsByDepthTable(probe), copy),
    tableElement(associationTable(r, probe), copy),
  );
}

export function defaultUiState(results: AuditResults, runDir: string): ResultsUiState {
  const saved = getUiState<ResultsUiState>();
  const same = saved.runDir === runDir;
  return {
    runDir,
    tab: same && typeof saved.tab === 'number' ? saved.tab : 0,
    trigger: (same && saved.trigger) || results.probes.interventions?.triggers[0]?.id || '',
    histogramModel: (same && saved.histogramModel) || '',
    groupIntervention: (same && saved.groupIntervention) || '',
    scatterChild: (same && saved.scatterChild) || '',
    gallery: same && saved.gallery ? saved.gallery : { classIndex: null, modelId: null, onlyOutperforming: false },
  };
}

/** Builds the whole panel; `rerender` is called by filters. Returns the root element. */
export function renderResults(run: RunView, ui: ResultsUiState, rerender: () => void): HTMLElement {
  const panels = [overview(run), strongStimuli(run, ui, rerender), interventions(run, ui, rerender), groups(run, ui, rerender), associations(run, ui, rerender)];
  const tabs = custom('vscode-tabs', { 'selected-index': String(ui.tab) }, ...TAB_NAMES.flatMap((name, i) => [custom('vscode-tab-header', { slot: 'header', 'data-tab': name }, name), custom('vscode-tab-panel', {}, panels[i])]));
  tabs.addEventListener('vsc-tabs-select', (e) => {
    ui.tab = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
    updateUiState<ResultsUiState>({ tab: ui.tab });
  });
  const status = run.status && run.status.state !== 'done' ? h('p', { class: 'note' }, `Run state: ${run.status.state} (${run.status.stepsDone}/${run.status.stepsTotal} steps)`) : null;
  return h('div', { class: 'results' }, h('header', {}, h('h1', {}, `Bias audit ${run.results.runId}`), h('span', { class: 'meta' }, `${run.results.lineage.children.length} children at freeze depths ${run.results.lineage.freezeDepths.join(', ')} · ${run.results.lineage.scratch.length} scratch · seeds ${run.results.lineage.seeds.join(', ')}`)), status, tabs);
}
