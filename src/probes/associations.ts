import type { Dataset } from '../engine/data/dataset';
import { AuditError, throwIfCancelled } from '../engine/util/errors';
import type { AssociationModelResult, AssociationsResult, ModelRole, SummaryStats, WeatResult } from '../protocol/results';
import { summarize } from '../stats/descriptive';
import { biasTransferScore, conceptAssociation, normalizeRows, weatOnEmbeddings } from './associations-metrics';
import type { ResolvedAssociationsParams } from './associations-params';
import type { AuditModelRef, ProbeContext } from './context';

/** The per-model step's result: plain JSON, keyed by model hash, concept content and params. */
export interface AssociationsModelStep extends AssociationModelResult {
  /** WEAT on this model; null when not configured. */
  weat: WeatResult | null;
}

/**
 * Step 1 of the association probe, once per model of the triad (foundation, children, scratch): embeds every
 * concept image (penultimate features, L2-normalised, via ctx.embed, cached by the run), then for each
 * comparison the mean cosine similarity over random subsets and its spread, and the WEAT test when configured.
 *
 * @throws AuditError naming the model and image when an embedding is all zeros (cosine undefined).
 */
export async function computeAssociations(ctx: ProbeContext, model: AuditModelRef, concepts: Dataset, params: ResolvedAssociationsParams): Promise<AssociationsModelStep> {
  ctx.log(`associations: embedding ${concepts.samples.length} concept images with ${model.id}`);
  const embedded = await ctx.embed(model, concepts);
  if (embedded.values.length !== concepts.samples.length * embedded.dim) {
    throw new Error(`embed returned ${embedded.values.length} values for ${concepts.samples.length} images of dimension ${embedded.dim}`);
  }
  const { normalized, zeroRow } = normalizeRows(embedded);
  if (zeroRow >= 0) {
    const sample = concepts.samples[zeroRow];
    throw new AuditError(`model ${model.id} maps this concept image to an all-zero (or non-finite) embedding, so its cosine similarity is undefined`, { file: sample.path ?? `${concepts.specString} #${zeroRow}`, code: 'BAD_EMBEDDING' });
  }
  const rowsOf = new Map<string, number[]>(concepts.classNames.map((name) => [name, []]));
  for (const sample of concepts.samples) rowsOf.get(concepts.classNames[sample.label])!.push(sample.index);
  const rows = (concept: string): number[] => {
    const found = rowsOf.get(concept);
    if (found === undefined) throw new AuditError(`no concept '${concept}'`, { file: concepts.specString, code: 'BAD_CONFIG' });
    return found;
  };

  const associations = params.comparisons.map((c, i) => {
    throwIfCancelled(ctx.signal);
    ctx.progress(i, params.comparisons.length, c.id);
    const { mean, std } = conceptAssociation(normalized, rows(c.conceptA), rows(c.conceptB), { subsetSize: params.subsetSize, repeats: params.repeats, seed: params.seed, comparisonId: c.id });
    return { comparisonId: c.id, mean, std };
  });
  ctx.progress(params.comparisons.length, params.comparisons.length);

  let weat: WeatResult | null = null;
  if (params.weat !== null) {
    const w = params.weat;
    const result = weatOnEmbeddings(
      normalized,
      { targetsX: rows(w.targets[0]), targetsY: rows(w.targets[1]), attributesA: rows(w.attributes[0]), attributesB: rows(w.attributes[1]) },
      { seed: params.seed, maxExactPartitions: w.maxExactPartitions, sampledPartitions: w.sampledPartitions },
    );
    weat = { modelId: model.id, effectSize: result.effectSize, pValue: result.pValueOneSided, pValueTwoSided: result.pValueTwoSided, method: result.method, permutations: result.partitions };
  }
  return { modelId: model.id, associations, weat };
}

/** What the aggregation needs to know about each model (an AuditModelRef fits). */
export interface AssociationModelInfo {
  id: string;
  role: ModelRole;
  freezeDepth: number | null;
  seed: number | null;
}

export interface AssociationsAggregationInput {
  params: ResolvedAssociationsParams;
  conceptImages: Dataset;
  /** The foundation, every child and every scratch model (one foundation). */
  models: readonly AssociationModelInfo[];
  /** computeAssociations' result for each model, any order. */
  perModel: readonly AssociationsModelStep[];
}

/**
 * Step 2: results.json's `associations` section. The Bias Transfer Score of each child and scratch model is
 * the Spearman correlation of its association means with the foundation's; summarised per freeze depth over
 * seeds (a null BTS, from a constant list, is left out of the summary), scratch as the reference.
 */
export function aggregateAssociations(input: AssociationsAggregationInput): AssociationsResult {
  const { params, conceptImages } = input;
  const byId = new Map(input.perModel.map((m) => [m.modelId, m]));
  for (const m of input.models) if (!byId.has(m.id)) throw new Error(`aggregateAssociations: no associations for model ${m.id}`);
  const foundations = input.models.filter((m) => m.role === 'foundation');
  if (foundations.length !== 1) throw new Error(`aggregateAssociations: expected one foundation, got ${foundations.length}`);
  const ids = params.comparisons.map((c) => c.id);
  const meansOf = (modelId: string): number[] => {
    const step = byId.get(modelId)!;
    return ids.map((id) => {
      const entry = step.associations.find((a) => a.comparisonId === id);
      if (entry === undefined) throw new Error(`aggregateAssociations: model ${modelId} has no association for ${id}`);
      return entry.mean;
    });
  };
  const foundationMeans = meansOf(foundations[0].id);
  const descendants = input.models.filter((m) => m.role !== 'foundation');
  const scores = new Map(descendants.map((m) => [m.id, biasTransferScore(foundationMeans, meansOf(m.id))]));
  const spearmans = (models: readonly AssociationModelInfo[]): number[] => models.map((m) => scores.get(m.id)!.spearman).filter((v): v is number => v !== null);

  const children = descendants.filter((m) => m.role === 'child');
  const depths = [...new Set(children.map((m) => m.freezeDepth ?? 0))].sort((a, b) => a - b);
  const biasTransferByFreezeDepth = depths.flatMap((freezeDepth) => {
    const values = spearmans(children.filter((m) => (m.freezeDepth ?? 0) === freezeDepth));
    return values.length > 0 ? [{ freezeDepth, spearman: summaryStats(values) }] : [];
  });
  const scratchValues = spearmans(descendants.filter((m) => m.role === 'scratch'));

  const orderedSteps = input.models.map((m) => byId.get(m.id)!);
  return {
    concepts: conceptImages.classNames.map((name, c) => ({ name, images: conceptImages.classCounts[c] })),
    comparisons: params.comparisons.map((c) => ({ id: c.id, conceptA: c.conceptA, conceptB: c.conceptB })),
    subsetSize: params.subsetSize,
    repeats: params.repeats,
    seed: params.seed,
    perModel: orderedSteps.map((s) => ({ modelId: s.modelId, associations: s.associations })),
    biasTransferScore: descendants.map((m) => ({ modelId: m.id, ...scores.get(m.id)! })),
    biasTransferByFreezeDepth,
    scratchBiasTransferScore: scratchValues.length > 0 ? summaryStats(scratchValues) : null,
    weat:
      params.weat === null
        ? null
        : { targets: params.weat.targets, attributes: params.weat.attributes, perModel: orderedSteps.map((s) => s.weat).filter((w): w is WeatResult => w !== null) },
  };
}

/** results.json's SummaryStats over seeds; one value has std 0 and no interval (n < 2). */
function summaryStats(values: readonly number[]): SummaryStats {
  const s = summarize(values);
  return { n: s.n, mean: s.mean, std: s.std ?? 0, ci95: s.ci95 };
}
