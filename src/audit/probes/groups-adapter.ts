import { aggregateGroupDisparity, groupDisparityStep } from '../../probes/groups';
import { type FinetuningInterventionPlan, planFinetuningInterventions } from '../../probes/groups-interventions';
import { type GroupDisparityParams, type PreparedGroupDisparity, validateGroupDisparityParams } from '../../probes/groups-params';
import { hashJson, sha256 } from '../../engine/util/hash';
import type { GroupDisparityResult, GroupModelResult, HeadlineFigure } from '../../protocol/results';
import { problemFromError, type ProblemList } from '../config/config-error';
import type { TrainingVariant } from '../lineage/model-plan';
import { formatPercent } from '../report/format';
import { foundationSharesTargetClasses } from './interventions-adapter';
import type { AuditInputs, PreparedProbe, ProbeModel } from './probe-adapter';

/** The intervention a model was trained with: its variant id, `none` for the target data as configured. */
function interventionOf(model: ProbeModel): string {
  return model.variantId ?? 'none';
}

/**
 * The group-disparity probe (MISSION.md probe 4) in the run: every finetuning-data intervention but `none` trains
 * every child and scratch again (a training variant); one step per model measures per-group accuracy (and TPR/FPR
 * for binary tasks); the aggregation gives the bias-versus-accuracy table.
 */
export async function prepareGroupDisparity(section: Record<string, unknown>, inputs: AuditInputs, problems: ProblemList): Promise<PreparedProbe | null> {
  let prepared: PreparedGroupDisparity;
  let plans: FinetuningInterventionPlan[];
  try {
    prepared = validateGroupDisparityParams(section as Partial<GroupDisparityParams> & { attribute: string }, { train: inputs.train, test: inputs.test, validation: inputs.validation });
    plans = planFinetuningInterventions(inputs.train.samples, prepared);
  } catch (e) {
    {
      const problem = problemFromError(e, 'probes.groupDisparity');
      problems.add(problem.path, problem.message);
    }
    return null;
  }
  if (!inputs.config.children && plans.some((p) => p.intervention.kind !== 'none')) {
    problems.add('probes.groupDisparity.interventions', 'finetuning-data interventions train children again: give `children` (freeze depths, seeds, recipe)');
    return null;
  }
  const variants: TrainingVariant[] = plans
    .filter((p) => p.intervention.kind !== 'none')
    .map((p) => ({
      id: p.intervention.id,
      label: p.intervention.label,
      digest: {
        intervention: p.intervention,
        trainIndices: p.trainIndices === null ? null : hashJson(p.trainIndices),
        sampleWeights: p.sampleWeights === null ? null : sha256(new Uint8Array(p.sampleWeights.buffer, p.sampleWeights.byteOffset, p.sampleWeights.byteLength)),
      },
      ...(p.sampleWeights !== null ? { sampleWeights: p.sampleWeights } : {}),
      ...(p.trainIndices !== null ? { trainIndices: p.trainIndices } : {}),
    }));
  const ids = new Set(plans.map((p) => p.intervention.id));
  const includeFoundation = ids.has('none') && foundationSharesTargetClasses(inputs);
  const measured = (m: ProbeModel): boolean =>
    m.sourceId === null && ids.has(interventionOf(m)) && (m.role !== 'foundation' || includeFoundation);
  return {
    name: 'groupDisparity',
    training: { variants },
    setupSteps: [],
    selectModels: (models) => models.filter(measured),
    modelStepInputs: { params: prepared.params, test: inputs.hashes.test, validation: inputs.hashes.validation },
    async runModelStep(ctx, model, info) {
      const data = { test: inputs.test, validation: inputs.validation ? { data: inputs.validation } : null };
      return { result: await groupDisparityStep(ctx.probe, model, data, prepared, interventionOf(info)), files: [] };
    },
    async aggregate(perModel, models) {
      return aggregateGroupDisparity({
        prepared,
        interventions: plans.map((p) => p.intervention),
        models: models.map((m) => ({ id: m.id, role: m.role, freezeDepth: m.freezeDepth, seed: m.seed, sourceId: m.sourceId, interventionId: interventionOf(m) })),
        perModel: [...perModel.values()] as GroupModelResult[],
      });
    },
    headline: (section) => groupsHeadline(section as GroupDisparityResult),
  };
}

/**
 * The group gap of the deepest-frozen children (FPR gap for binary tasks, else the accuracy gap) under each
 * finetuning-data intervention: what re-curating the data buys.
 */
export function groupsHeadline(section: GroupDisparityResult): HeadlineFigure[] {
  const children = section.biasVersusAccuracy.filter((r) => r.role === 'child');
  const depth = Math.max(...children.map((r) => r.freezeDepth ?? 0));
  const rows = children.filter((r) => (r.freezeDepth ?? 0) === depth);
  if (rows.length === 0) return [];
  const useFpr = section.binary && rows.every((r) => r.fprGap !== null);
  const value = rows.map((r) => `${r.interventionId} ${formatPercent((useFpr ? r.fprGap! : r.accuracyGap).mean)}`).join(', ');
  return [{ label: `${useFpr ? 'FPR' : 'accuracy'} gap by ${section.attribute}, K=${depth}`, value }];
}
