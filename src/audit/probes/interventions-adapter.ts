import { triggerExamplePng } from '../../probes/triggers/example';
import { aggregateInterventions, interventionsStep } from '../../probes/interventions';
import { type InterventionTriggerParams, type InterventionsParams, type PreparedTrigger, validateInterventionsParams } from '../../probes/interventions-params';
import type { HeadlineFigure, InterventionModelResult, InterventionsResult } from '../../protocol/results';
import { formatPercent } from '../report/format';
import { problemFromError, type ProblemList } from '../config/config-error';
import type { AuditInputs, PreparedProbe, ProbeModel } from './probe-adapter';

/** The config's trigger list: a spec string is short for `{ spec }`. */
export function normalizeTriggers(triggers: unknown): InterventionTriggerParams[] {
  return (Array.isArray(triggers) ? triggers : []).map((t) => (typeof t === 'string' ? { spec: t } : (t as InterventionTriggerParams)));
}

/** Whether the foundation can be measured on the target test set: the same classes in the same order. */
export function foundationSharesTargetClasses(inputs: AuditInputs): boolean {
  const names = inputs.foundation.loaded.meta.classNames;
  return names.length === inputs.test.classNames.length && names.every((n, i) => n === inputs.test.classNames[i]);
}

/** The interventions probe (MISSION.md probe 2) in the run: one step per model (every trigger), then the transfer table. */
export async function prepareInterventions(section: Record<string, unknown>, inputs: AuditInputs, problems: ProblemList): Promise<PreparedProbe | null> {
  let prepared: { params: InterventionsParams; triggers: PreparedTrigger[] };
  try {
    prepared = await validateInterventionsParams({ ...section, triggers: normalizeTriggers(section.triggers) } as Partial<InterventionsParams> & { triggers: InterventionTriggerParams[] }, {
      classNames: inputs.test.classNames, baseDir: inputs.config.configDir, where: 'probes.interventions',
    });
  } catch (e) {
    {
      const problem = problemFromError(e, 'probes.interventions');
      problems.add(problem.path, problem.message);
    }
    return null;
  }
  const { params, triggers } = prepared;
  if (params.exampleIndex >= inputs.test.samples.length) {
    problems.add('probes.interventions.exampleIndex', `the test set has ${inputs.test.samples.length} images; use 0..${inputs.test.samples.length - 1}`);
    return null;
  }
  const includeFoundation = foundationSharesTargetClasses(inputs);
  const examples = new Map<string, string>();
  const triggerDigest = triggers.map((t) => ({ id: t.entry.id, transformId: t.trigger.transformId, targetClass: t.entry.targetClass }));
  return {
    name: 'interventions',
    setupSteps: [
      {
        name: 'interventions/examples',
        label: 'trigger examples',
        inputs: { triggers: triggerDigest, test: inputs.hashes.test, exampleIndex: params.exampleIndex, inputShape: inputs.foundation.loaded.meta.inputShape },
        async run(ctx) {
          const files: string[] = [];
          for (const t of triggers) {
            const file = `triggers/${t.entry.id}.png`;
            const scale = Math.max(1, Math.round(112 / inputs.foundation.loaded.meta.inputShape[0]));
            await ctx.writeFile(file, await triggerExamplePng(t.trigger, inputs.test, inputs.foundation.loaded.meta.inputShape, params.exampleIndex, scale));
            files.push(file);
          }
          return { result: Object.fromEntries(triggers.map((t, i) => [t.entry.id, files[i]])), files };
        },
        accept(result) {
          for (const [id, file] of Object.entries(result as Record<string, string>)) examples.set(id, file);
        },
      },
    ],
    // The foundation's own lineage; planted-bias sources and their children are the planted-bias probe's.
    selectModels: (models) => models.filter((m) => m.variantId === null && m.sourceId === null && (m.role !== 'foundation' || includeFoundation)),
    modelStepInputs: { params: { bootstrapResamples: params.bootstrapResamples, bootstrapSeed: params.bootstrapSeed }, triggers: triggerDigest, test: inputs.hashes.test },
    async runModelStep(ctx, model) {
      const result = await interventionsStep(ctx.probe, model, inputs.test, triggers, params, { targeted: true });
      return { result, files: [] };
    },
    async aggregate(perModel, models) {
      return aggregateInterventions({
        dataset: inputs.testSpec,
        testImages: inputs.test.samples.length,
        classNames: [...inputs.test.classNames],
        triggers: triggers.map((t) => ({ ...t.entry, example: examples.get(t.entry.id) ?? null })),
        models: models.map(descriptor),
        perModel: [...perModel.values()].flatMap((r) => r as InterventionModelResult[]),
      });
    },
    headline: (section) => interventionsHeadline(section as InterventionsResult),
  };
}

function descriptor(m: ProbeModel) {
  return { id: m.id, role: m.role, freezeDepth: m.freezeDepth, seed: m.seed, sourceId: m.sourceId };
}

/** The deepest-frozen child's ASR minus scratch, for the first trigger. */
export function interventionsHeadline(section: InterventionsResult): HeadlineFigure[] {
  const trigger = section.triggers[0];
  if (trigger === undefined) return [];
  const rows = section.transfer.filter((t) => t.triggerId === trigger.id && t.sourceId === null);
  const deepest = rows.sort((a, b) => b.freezeDepth - a.freezeDepth)[0];
  if (deepest === undefined) return [];
  const d = deepest.asr.difference;
  return [{ label: `ASR child K=${deepest.freezeDepth} − scratch (${trigger.id})`, value: `${formatPercent(d.mean)}${d.n > 1 ? ` ± ${formatPercent(d.std)}` : ''}` }];
}
