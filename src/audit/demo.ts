import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AuditError } from '../engine/util/errors';
import type { ResolvedAuditConfig } from './config/resolved-config';
import { toolInfo } from './run-folder/tool-version';
import { runAudit } from './run';
import type { RunAuditOptions, RunAuditOutcome } from './run/run-types';

/**
 * The demo's audits of the bundled sample (samples/): the main one (strong stimuli, interventions, planted bias,
 * associations on the Fashion-MNIST sample) and the group-disparity one, which needs a target with a sensitive
 * attribute (the groups sample).
 */
export const DEMO_CONFIGS = ['demo.biasaudit.json', 'demo-groups.biasaudit.json'] as const;

/** A demo config's path in this installation. */
export function demoConfigPath(name: (typeof DEMO_CONFIGS)[number] = DEMO_CONFIGS[0]): string {
  return join(toolInfo().root, 'samples', name);
}

/**
 * `--quick`: one seed, one epoch, shorter stimulus optimisation, fewer bootstrap resamples and association
 * repeats: a smoke test of the whole pipeline. Its figures are much noisier (and without a second seed there are
 * no intervals).
 */
export function quickDemo(config: ResolvedAuditConfig): ResolvedAuditConfig {
  const quick = structuredClone(config);
  quick.name = `${config.name}-quick`;
  if (quick.children) {
    quick.children.seeds = quick.children.seeds.slice(0, 1);
    quick.children.recipe = { ...quick.children.recipe, epochs: 1 };
    quick.children.scratchRecipe = { ...quick.children.scratchRecipe, epochs: 1 };
  }
  const probes = quick.probes as Record<string, Record<string, unknown> | undefined>;
  if (probes.strongStimuli) probes.strongStimuli = { ...probes.strongStimuli, steps: 48 };
  if (probes.interventions) probes.interventions = { ...probes.interventions, bootstrapResamples: 200 };
  if (probes.associations) probes.associations = { ...probes.associations, repeats: 10 };
  return quick;
}

/**
 * Runs the demo audits of the bundled sample with the sample foundation (samples/foundation/): children at
 * several freeze depths and the scratch baseline over seeds, every probe the sample supports. `outDir` is the
 * folder the run folders go in.
 * @throws AuditError when the sample foundation is missing (scripts/make-sample-foundation.sh makes it).
 */
export async function runDemoAudits(options: RunAuditOptions & { quick?: boolean } = {}): Promise<RunAuditOutcome[]> {
  const foundation = join(toolInfo().root, 'samples', 'foundation', 'model.json');
  if (!existsSync(foundation)) {
    throw new AuditError('the sample foundation is missing; make it with scripts/make-sample-foundation.sh', { file: foundation, code: 'ENOENT' });
  }
  const outcomes: RunAuditOutcome[] = [];
  for (const name of DEMO_CONFIGS) {
    const config = demoConfigPath(name);
    if (!existsSync(config)) throw new AuditError('a demo config is missing from this installation', { file: config, code: 'ENOENT' });
    const configure = options.quick ? (c: ResolvedAuditConfig) => (options.configure ? options.configure(quickDemo(c)) : quickDemo(c)) : options.configure;
    outcomes.push(await runAudit(config, { ...options, ...(configure ? { configure } : {}) }));
  }
  return outcomes;
}
