import type { ProbesConfig } from './config-types';

/**
 * Makes the checkpoint and folder paths inside probe sections absolute (relative to the config file): the
 * planted-bias source checkpoints and the association concept folders. Data SPECs and trigger patch files stay as
 * written (their probes resolve them against the config's folder, and results show them as written). Returns a copy.
 */
export function resolveProbePaths(probes: ProbesConfig, abs: (path: string) => string): ProbesConfig {
  const out = structuredClone(probes) as Record<string, Record<string, unknown> | undefined>;
  const sources = out.plantedBias?.sources as Record<string, unknown> | undefined;
  if (sources && typeof sources === 'object') for (const key of Object.keys(sources)) if (typeof sources[key] === 'string') sources[key] = abs(sources[key]);
  const associations = out.associations;
  if (associations) {
    if (typeof associations.concepts === 'string') associations.concepts = abs(associations.concepts);
  }
  return out as ProbesConfig;
}
