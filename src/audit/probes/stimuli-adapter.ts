import { join } from 'node:path';
import { aggregateStrongStimuli } from '../../probes/stimuli/aggregate';
import { generateStrongStimuli, type StimulusSetStep } from '../../probes/stimuli/generate';
import { type ClassMapping, type ResolvedStrongStimuliParams, type StrongStimuliParams, validateStrongStimuliParams } from '../../probes/stimuli/params';
import { scoreStimuliOnModel } from '../../probes/stimuli/score';
import type { HeadlineFigure, StimuliModelResult, StrongStimuliResult } from '../../protocol/results';
import { problemFromError, type ProblemList } from '../config/config-error';
import { formatSummary } from '../report/format';
import type { AuditInputs, PreparedProbe, ProbeModel } from './probe-adapter';

export const STIMULI_DIR = 'stimuli';

/**
 * The strong-stimuli probe (MISSION.md probe 1) in the run: one setup step generates the stimuli on the foundation
 * (PNGs in `stimuli/`), one step per child and scratch model scores them, the aggregation compares freeze depths.
 * The config's top-level `classMap` maps foundation classes to target classes.
 */
export async function prepareStrongStimuli(section: Record<string, unknown>, inputs: AuditInputs, problems: ProblemList): Promise<PreparedProbe | null> {
  let params: ResolvedStrongStimuliParams;
  let mapping: ClassMapping;
  const meta = inputs.foundation.loaded.meta;
  try {
    ({ params, mapping } = validateStrongStimuliParams({ ...(section as Partial<StrongStimuliParams>), classMap: inputs.config.classMap }, {
      foundationClassNames: meta.classNames, foundationInputShape: meta.inputShape, targetClassNames: inputs.train.classNames,
      targetTrainCounts: inputs.train.classCounts, targetTrainSpec: inputs.trainSpec, fieldPath: 'probes.strongStimuli',
    }));
  } catch (e) {
    // The class map is a top-level field of the config; the probe names it as its own.
    {
      const problem = problemFromError(e, 'probes.strongStimuli');
      problems.add(problem.path.replace(/^probes\.strongStimuli\.classMap/, 'classMap'), problem.message);
    }
    return null;
  }
  let stimulusSet: StimulusSetStep | null = null;
  const scored = (m: ProbeModel): boolean => m.role !== 'foundation' && m.sourceId === null && m.variantId === null;
  return {
    name: 'strongStimuli',
    setupSteps: [
      {
        name: 'strongStimuli/generate',
        label: `generate ${params.classes.length} stimuli on the foundation`,
        inputs: { params },
        async run(ctx, foundation) {
          const set = await generateStrongStimuli(ctx.probe, foundation.loaded, params, { dir: join(ctx.runDir, STIMULI_DIR), relativeDir: STIMULI_DIR });
          return { result: set, files: set.stimuli.map((s) => s.image) };
        },
        accept(result) {
          stimulusSet = result as StimulusSetStep;
        },
      },
    ],
    selectModels: (models) => models.filter(scored),
    modelStepInputs: { params, mapping, train: inputs.hashes.train },
    async runModelStep(ctx, model) {
      if (stimulusSet === null) throw new Error('strong stimuli: the stimulus set was not generated before scoring');
      const result = await scoreStimuliOnModel(ctx.probe, model, { stimulusSet, runDir: ctx.runDir, targetTrain: inputs.train, mapping });
      return { result, files: [] };
    },
    async aggregate(perModel, models) {
      if (stimulusSet === null) throw new Error('strong stimuli: no stimulus set');
      return aggregateStrongStimuli({
        stimulusSet, mapping,
        models: models.map((m) => ({ id: m.id, role: m.role, freezeDepth: m.freezeDepth, seed: m.seed, sourceId: m.sourceId })),
        perModel: [...perModel.values()] as StimuliModelResult[],
        targetTrainCounts: [...inputs.train.classCounts],
      });
    },
    headline: (section) => stimuliHeadline(section as StrongStimuliResult),
  };
}

/** Outperforming classes of the deepest-frozen children (the poster's figure), with scratch for reference. */
export function stimuliHeadline(section: StrongStimuliResult): HeadlineFigure[] {
  const deepest = [...section.transferByFreezeDepth].sort((a, b) => b.freezeDepth - a.freezeDepth)[0];
  if (deepest === undefined) return [];
  const total = section.stimuli.length;
  const scratch = section.scratchOutperforming ? `, scratch ${formatSummary(section.scratchOutperforming)}` : '';
  return [{ label: `strong-stimulus classes of ${total}, K=${deepest.freezeDepth}`, value: `${formatSummary(deepest.outperforming)}${scratch}` }];
}
