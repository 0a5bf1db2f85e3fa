/** The one-line summary of a single probe's JSON result (pure: unit-tested), shown after "Run Single Probe". */

function percent(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? `${(100 * value).toFixed(1)}%` : 'n/a';
}

/** e.g. `ASR 12.5% of 24 correctly classified images (clean accuracy 80.0%, 30 test images)`. */
export function summarizeProbeResult(result: unknown): string {
  if (typeof result !== 'object' || result === null) return 'the probe returned no result';
  const r = result as Record<string, unknown>;
  if (r.probe === 'asr') {
    const targeted = r.targetClass !== null && r.targetClass !== undefined ? `; targeted ASR ${percent(r.targetedAsr)} towards class ${String(r.targetClass)}` : '';
    return `ASR ${percent(r.asr)} of ${String(r.asrDenominator)} correctly classified images (clean accuracy ${percent(r.cleanAccuracy)}, ${String(r.testImages)} test images)${targeted}`;
  }
  if (r.probe === 'stimuli') {
    const stimuli = Array.isArray(r.stimuli) ? (r.stimuli as { foundationPredicted?: number; foundationClass?: number }[]) : [];
    const hits = stimuli.filter((s) => s.foundationPredicted === s.foundationClass).length;
    return `${stimuli.length} strong stimuli saved to ${String(r.out)} (${hits} of ${stimuli.length} classified as their class by the model)`;
  }
  return `probe ${String(r.probe)} finished`;
}
