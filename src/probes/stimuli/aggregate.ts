import { summarize } from '../../stats/descriptive';
import { mannWhitneyU } from '../../stats/mannWhitney';
import type { ClassSizeCovariate, ModelRole, StimuliModelResult, StrongStimuliResult, SummaryStats, TransferringClassCounts } from '../../protocol/results';
import type { StimulusSetStep } from './generate';
import { consistentClasses } from './metrics';
import type { ClassMapping } from './params';

/** What the aggregation needs to know about each scored model (an AuditModelRef fits). */
export interface ScoredModelInfo {
  id: string;
  role: ModelRole;
  freezeDepth: number | null;
  seed: number | null;
  sourceId?: string | null;
}

export interface StrongStimuliAggregationInput {
  stimulusSet: StimulusSetStep;
  mapping: ClassMapping;
  /** Every child and scratch model that was scored (the foundation is not scored against its own stimuli). */
  models: readonly ScoredModelInfo[];
  /** scoreStimuliOnModel's result for each model, any order. */
  perModel: readonly StimuliModelResult[];
  /** Training images per target class (results.json `targetDataset.trainCounts`). */
  targetTrainCounts: readonly number[];
}

/**
 * Step 3 of the strong-stimuli probe: results.json's `strongStimuli` section from the stimulus set and the
 * per-model scores. Across children: outperforming-class counts per freeze depth over seeds (scratch as the
 * reference), the classes whose stimulus outperforms in every child ("consistent"), and the class-size
 * covariate (mean training count of consistent vs other stimulated classes, two-sided Mann-Whitney U).
 * Everything that needs a class mapping is null without one, with the reason in `classMappingNote`.
 */
export function aggregateStrongStimuli(input: StrongStimuliAggregationInput): StrongStimuliResult {
  const { stimulusSet, mapping } = input;
  const byId = new Map(input.perModel.map((m) => [m.modelId, m]));
  const models = input.models.filter((m) => m.role !== 'foundation');
  for (const m of models) if (!byId.has(m.id)) throw new Error(`aggregateStrongStimuli: no scores for model ${m.id}`);
  const sources = new Set(models.filter((m) => m.role === 'child').map((m) => m.sourceId ?? null));
  if (sources.size > 1) throw new Error(`aggregateStrongStimuli: children of several sources (${[...sources].join(', ')}); aggregate one foundation's children at a time`);

  const children = models.filter((m) => m.role === 'child');
  const scratch = models.filter((m) => m.role === 'scratch');
  const stimuli = stimulusSet.stimuli.map((s) => ({
    foundationClass: s.foundationClass,
    targetClass: mapping.targetOf[s.foundationClass] ?? null,
    image: s.image,
    foundationConfidence: s.foundationConfidence,
  }));
  const perModel = models.map((m) => byId.get(m.id)!);
  const common = {
    params: stimulusSet.params,
    classMapping: mapping.kind,
    classMappingNote: mapping.note,
    foundationClassNames: stimulusSet.foundationClassNames,
    stimuli,
    perModel,
  };
  if (mapping.kind === 'none') {
    return { ...common, transferByFreezeDepth: [], scratchOutperforming: null, consistentClasses: null, classSizeCovariate: null, classSizeCovariateNote: mapping.note };
  }

  const count = (m: ScoredModelInfo): number => {
    const value = byId.get(m.id)!.outperformingCount;
    if (value === null) throw new Error(`aggregateStrongStimuli: model ${m.id} was scored without the class mapping`);
    return value;
  };
  const depths = [...new Set(children.map((m) => m.freezeDepth ?? 0))].sort((a, b) => a - b);
  const transferByFreezeDepth: TransferringClassCounts[] = depths.map((freezeDepth) => ({
    freezeDepth,
    outperforming: summaryStats(children.filter((m) => (m.freezeDepth ?? 0) === freezeDepth).map(count)),
  }));
  const scratchOutperforming = scratch.length > 0 ? summaryStats(scratch.map(count)) : null;

  const targets = stimuli.map((s) => s.targetClass as number);
  if (children.length === 0) {
    return { ...common, transferByFreezeDepth, scratchOutperforming, consistentClasses: null, classSizeCovariate: null, classSizeCovariateNote: 'no child model was scored' };
  }
  const consistent = consistentClasses(children.map((m) => byId.get(m.id)!.outperforms ?? []), targets);
  const covariate = classSizeCovariate(consistent, targets, input.targetTrainCounts);
  return { ...common, transferByFreezeDepth, scratchOutperforming, consistentClasses: consistent, classSizeCovariate: covariate.value, classSizeCovariateNote: covariate.note };
}

/**
 * Mean training count of the consistent target classes versus the other stimulated target classes, with a
 * two-sided Mann-Whitney U test (U counts pairs where a consistent class has more images, ties 1/2). Null with
 * a reason when either group is empty.
 */
export function classSizeCovariate(
  consistent: readonly number[],
  stimulatedTargets: readonly number[],
  trainCounts: readonly number[],
): { value: ClassSizeCovariate | null; note: string | null } {
  const targets = [...new Set(stimulatedTargets)];
  for (const t of targets) if (trainCounts[t] === undefined) throw new RangeError(`no training count for target class ${t}`);
  const consistentCounts = targets.filter((t) => consistent.includes(t)).map((t) => trainCounts[t]);
  const otherCounts = targets.filter((t) => !consistent.includes(t)).map((t) => trainCounts[t]);
  if (consistentCounts.length === 0) return { value: null, note: 'no class outperforms its centroid in every child, so there is nothing to compare' };
  if (otherCounts.length === 0) return { value: null, note: 'every class outperforms its centroid in every child, so there is no other group to compare with' };
  const test = mannWhitneyU(consistentCounts, otherCounts);
  const mean = (values: number[]): number => values.reduce((s, v) => s + v, 0) / values.length;
  return {
    value: {
      consistentMeanCount: mean(consistentCounts),
      otherMeanCount: mean(otherCounts),
      consistentClassCount: consistentCounts.length,
      otherClassCount: otherCounts.length,
      mannWhitneyU: test.uX,
      pValue: test.pValue,
    },
    note: null,
  };
}

/** results.json's SummaryStats over seeds; one value has std 0 and no interval (n < 2). */
function summaryStats(values: readonly number[]): SummaryStats {
  const s = summarize(values);
  return { n: s.n, mean: s.mean, std: s.std ?? 0, ci95: s.ci95 };
}
