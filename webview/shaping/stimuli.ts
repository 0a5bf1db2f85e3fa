/** Strong-stimuli shaping: the label-mode table, the gallery (filterable), and the poster's transfer-by-depth figure. */
import type { AuditResults, StrongStimuliResult } from '../../src/protocol/results';
import { fixed, percent, summary } from './format';
import { modelLabel } from './models';
import type { Table } from './table';

export function labelModeTable(results: AuditResults, probe: StrongStimuliResult): Table {
  const n = probe.stimuli.length;
  return {
    name: 'Label modes',
    headers: ['Model', 'Most frequent label', 'Stimuli with that label', 'Share', 'Own-target hits', 'Outperforming classes'],
    rows: probe.perModel.map((m) => [
      modelLabel(results, m.modelId),
      `${m.labelMode.name} (${m.labelMode.label})`,
      `${m.labelMode.count} of ${n}`,
      percent(m.labelMode.share),
      m.ownTargetHits === null ? '—' : `${m.ownTargetHits} of ${n}`,
      m.outperformingCount === null ? '—' : `${m.outperformingCount} of ${n}`,
    ]),
  };
}

export function transferByDepthTable(probe: StrongStimuliResult): Table {
  return {
    name: 'Classes with strong-stimulus transfer',
    headers: ['Freeze depth', 'Outperforming classes (mean ± std [95% CI])'],
    rows: [...probe.transferByFreezeDepth.map((t) => [t.freezeDepth, summary(t.outperforming, 2)]), ['scratch', summary(probe.scratchOutperforming, 2)]],
  };
}

export interface DepthPoint {
  freezeDepth: number;
  mean: number;
  low: number;
  high: number;
}

/** Mean with a ± std error bar per freeze depth, plus the scratch mean as a reference line. */
export function transferByDepthSeries(probe: StrongStimuliResult): { points: DepthPoint[]; scratch: number | null } {
  return {
    points: probe.transferByFreezeDepth.map((t) => ({ freezeDepth: t.freezeDepth, mean: t.outperforming.mean, low: t.outperforming.mean - t.outperforming.std, high: t.outperforming.mean + t.outperforming.std })),
    scratch: probe.scratchOutperforming?.mean ?? null,
  };
}

export interface GalleryCard {
  foundationClass: number;
  className: string;
  image: string;
  /** Per shown model: predicted label name and the outperform mark (null without a class map). */
  predictions: { modelId: string; modelLabel: string; predicted: string; outperforms: boolean | null; distance: string }[];
}

export interface GalleryFilter {
  /** Foundation class index, or null for all. */
  classIndex: number | null;
  /** Model id, or null for all models. */
  modelId: string | null;
  /** Only stimuli that outperform on the chosen model(s). */
  onlyOutperforming: boolean;
}

export function galleryCards(results: AuditResults, probe: StrongStimuliResult, filter: GalleryFilter): GalleryCard[] {
  const models = probe.perModel.filter((m) => filter.modelId === null || m.modelId === filter.modelId);
  const classNames = results.targetDataset.classNames;
  return probe.stimuli
    .map((stimulus, index) => ({
      foundationClass: stimulus.foundationClass,
      className: probe.foundationClassNames[stimulus.foundationClass] ?? String(stimulus.foundationClass),
      image: stimulus.image,
      predictions: models.map((m) => ({
        modelId: m.modelId,
        modelLabel: modelLabel(results, m.modelId),
        predicted: classNames[m.predictedLabels[index]] ?? String(m.predictedLabels[index]),
        outperforms: m.outperforms ? m.outperforms[index] : null,
        distance: m.stimulusDistance && m.centroidDistance ? `${fixed(m.stimulusDistance[index], 2)} vs ${fixed(m.centroidDistance[index], 2)}` : '',
      })),
    }))
    .filter((card) => filter.classIndex === null || card.foundationClass === filter.classIndex)
    .filter((card) => !filter.onlyOutperforming || card.predictions.some((p) => p.outperforms === true));
}

export function classSizeTable(probe: StrongStimuliResult, classNames: string[]): Table | null {
  const c = probe.classSizeCovariate;
  if (!c || !probe.consistentClasses) return null;
  return {
    name: 'Class-size covariate',
    headers: ['Classes', 'Count', 'Mean training images'],
    rows: [
      [`consistent (${probe.consistentClasses.map((i) => classNames[i] ?? i).join(', ') || 'none'})`, c.consistentClassCount, fixed(c.consistentMeanCount, 2)],
      ['other', c.otherClassCount, fixed(c.otherMeanCount, 2)],
      [`Mann-Whitney U = ${fixed(c.mannWhitneyU, 1)}`, null, `p = ${fixed(c.pValue, 4)}`],
    ],
  };
}
