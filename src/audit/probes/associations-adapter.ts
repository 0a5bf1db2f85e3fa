import { aggregateAssociations, type AssociationsModelStep, computeAssociations } from '../../probes/associations';
import { type AssociationsParams, openConceptImages, type ResolvedAssociationsParams, validateAssociationsParams } from '../../probes/associations-params';
import type { Dataset } from '../../engine/data/dataset';
import type { AssociationsResult, HeadlineFigure } from '../../protocol/results';
import { problemFromError, type ProblemList } from '../config/config-error';
import { formatSummary } from '../report/format';
import type { AuditInputs, PreparedProbe, ProbeModel } from './probe-adapter';

/**
 * The association probe (MISSION.md probe 5) in the run: one step per model (the foundation, each child and
 * scratch) embeds the concept images and measures the associations; the aggregation gives each descendant's Bias
 * Transfer Score against the foundation, per freeze depth over seeds, and the WEAT test when configured.
 */
export async function prepareAssociations(section: Record<string, unknown>, _inputs: AuditInputs, problems: ProblemList): Promise<PreparedProbe | null> {
  let conceptImages: Dataset;
  let params: ResolvedAssociationsParams;
  try {
    conceptImages = await openConceptImages(String(section.concepts), 'probes.associations.concepts');
    params = validateAssociationsParams(section as Partial<AssociationsParams> & { concepts: string }, conceptImages);
  } catch (e) {
    const problem = problemFromError(e, 'probes.associations.concepts');
    problems.add(problem.path, problem.message);
    return null;
  }
  const conceptsHash = await conceptImages.contentHash();
  const measured = (m: ProbeModel): boolean => m.sourceId === null && m.variantId === null;
  return {
    name: 'associations',
    setupSteps: [],
    selectModels: (models) => models.filter(measured),
    // The concept images by content, not by path: a moved copy of the folder reuses the results.
    modelStepInputs: { concepts: conceptsHash, comparisons: params.comparisons, subsetSize: params.subsetSize, repeats: params.repeats, seed: params.seed, weat: params.weat },
    async runModelStep(ctx, model) {
      return { result: await computeAssociations(ctx.probe, model, conceptImages, params), files: [] };
    },
    async aggregate(perModel, models) {
      return aggregateAssociations({
        params, conceptImages,
        models: models.map((m) => ({ id: m.id, role: m.role, freezeDepth: m.freezeDepth, seed: m.seed })),
        perModel: [...perModel.values()] as AssociationsModelStep[],
      });
    },
    headline: (section) => associationsHeadline(section as AssociationsResult),
  };
}

/** The Bias Transfer Score of the deepest-frozen children, with scratch for reference. */
export function associationsHeadline(section: AssociationsResult): HeadlineFigure[] {
  const deepest = [...section.biasTransferByFreezeDepth].sort((a, b) => b.freezeDepth - a.freezeDepth)[0];
  if (deepest === undefined) return [];
  const scratch = section.scratchBiasTransferScore ? `, scratch ${formatSummary(section.scratchBiasTransferScore)}` : '';
  return [{ label: `Bias Transfer Score K=${deepest.freezeDepth}`, value: `${formatSummary(deepest.spearman)}${scratch}` }];
}
