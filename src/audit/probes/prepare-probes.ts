import { PROBE_NAMES, type ProbeName } from '../../protocol/results';
import type { ProblemList } from '../config/config-error';
import { prepareAssociations } from './associations-adapter';
import { prepareGroupDisparity } from './groups-adapter';
import { prepareInterventions } from './interventions-adapter';
import { preparePlantedBias } from './planted-adapter';
import { prepareStrongStimuli } from './stimuli-adapter';
import type { AuditInputs, PreparedProbe, ProbePreparer } from './probe-adapter';

/** Each probe's preparation (validation against the opened inputs, then its steps). */
const PREPARERS: Record<ProbeName, ProbePreparer> = {
  strongStimuli: prepareStrongStimuli,
  interventions: prepareInterventions,
  plantedBias: preparePlantedBias,
  groupDisparity: prepareGroupDisparity,
  associations: prepareAssociations,
};

/**
 * Validates and prepares every configured probe, in results.json's order. Problems go to `problems` with their
 * JSON paths; a probe with problems is left out (the run will not start anyway).
 */
export async function prepareProbes(inputs: AuditInputs, problems: ProblemList): Promise<PreparedProbe[]> {
  const prepared: PreparedProbe[] = [];
  const configured = inputs.config.probes as Record<string, Record<string, unknown> | undefined>;
  for (const name of PROBE_NAMES) {
    const section = configured[name];
    if (section === undefined) continue;
    const preparer = PREPARERS[name];
    const probe = await preparer(section, inputs, problems);
    if (probe !== null) prepared.push(probe);
  }
  return prepared;
}
