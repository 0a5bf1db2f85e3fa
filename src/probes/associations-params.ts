import { join } from 'node:path';
import type { Dataset } from '../engine/data/dataset';
import { openDataset } from '../engine/data/open-dataset';
import { AuditError } from '../engine/util/errors';

/** A WEAT-style test: are target concepts X / Y more associated with attribute concepts A / B respectively? */
export interface WeatParams {
  /** [X, Y] target concepts, e.g. ["Sandal", "Sneaker"]. */
  targets: [string, string];
  /** [A, B] attribute concepts, e.g. ["bright", "dark"]. */
  attributes: [string, string];
  /** Enumerate every re-partition of X ∪ Y when there are at most this many (default 100000). */
  maxExactPartitions?: number;
  /** Otherwise draw this many random partitions (default 10000). */
  sampledPartitions?: number;
}

/**
 * Parameters of the association / Bias Transfer Score probe as written in an audit config
 * (`probes.associations`). Defaults in {@link DEFAULT_ASSOCIATIONS_PARAMS}.
 */
export interface AssociationsParams {
  /** ImageFolder of concept images, one sub-folder per concept (the run resolves it relative to the config). */
  concepts: string;
  /**
   * Concept pairs to associate, as `"A~B"` or `["A", "B"]`. null (default): every unordered pair of concepts, in
   * folder order. BTS is a rank correlation over this list, so it needs at least 3 comparisons.
   */
  comparisons: (string | [string, string])[] | null;
  /** Images drawn from each concept per repeat. Default 10. */
  subsetSize: number;
  /** Random subsets per comparison; the spread over repeats is reported. Default 50. */
  repeats: number;
  /** Seeds the subsets (the same subsets on every model) and the WEAT permutations. Default 0. */
  seed: number;
  /** A WEAT-style effect size with a permutation p-value; null (default) for none. */
  weat: WeatParams | null;
}

export const DEFAULT_ASSOCIATIONS_PARAMS: Readonly<Omit<AssociationsParams, 'concepts'>> = Object.freeze({
  comparisons: null,
  subsetSize: 10,
  repeats: 50,
  seed: 0,
  weat: null,
});

/** One comparison, resolved. */
export interface ConceptComparison {
  /** `A~B`. */
  id: string;
  conceptA: string;
  conceptB: string;
}

/** Parameters after validation against the concept folders. */
export interface ResolvedAssociationsParams {
  concepts: string;
  comparisons: ConceptComparison[];
  subsetSize: number;
  repeats: number;
  seed: number;
  weat: Required<WeatParams> | null;
}

/**
 * Opens the concept folder as an ImageFolder dataset (one class per concept).
 * @throws AuditError naming the folder (and the config field) when it is missing or holds no concept folders.
 */
export async function openConceptImages(folder: string, fieldPath = 'probes.associations.concepts'): Promise<Dataset> {
  try {
    return await openDataset({ source: { kind: 'folder', root: folder }, selection: {} });
  } catch (e) {
    if (e instanceof AuditError) throw new AuditError(`${e.message} (concept images, ${fieldPath})`, { code: e.code, cause: e });
    throw e;
  }
}

/**
 * Fills in defaults and checks the parameters against the opened concept folders, before any training:
 * every named concept exists, every concept a comparison uses has at least `subsetSize` images, WEAT concepts
 * are four distinct concepts with at least 2 images each.
 *
 * @throws AuditError (code `BAD_CONFIG`) naming the config field, or (code `BAD_DATA`) naming the concept
 *   folder that holds too few images.
 */
export function validateAssociationsParams(given: Partial<AssociationsParams> & { concepts: string }, conceptImages: Dataset, fieldPath = 'probes.associations'): ResolvedAssociationsParams {
  // A field given as undefined (an absent optional config field passed through) takes its default.
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  const merged = { ...DEFAULT_ASSOCIATIONS_PARAMS, ...defined } as AssociationsParams;
  const fail = (field: string, problem: string): never => {
    throw new AuditError(problem, { file: `${fieldPath}.${field}`, code: 'BAD_CONFIG' });
  };
  if (typeof merged.concepts !== 'string' || merged.concepts === '') fail('concepts', `must be the path of a folder of concept folders, got ${JSON.stringify(merged.concepts)}`);
  for (const field of ['subsetSize', 'repeats'] as const) {
    const v = merged[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) fail(field, `must be an integer >= 1, got ${JSON.stringify(v)}`);
  }
  if (typeof merged.seed !== 'number' || !Number.isSafeInteger(merged.seed) || merged.seed < 0) fail('seed', `must be an integer >= 0, got ${JSON.stringify(merged.seed)}`);

  const names = conceptImages.classNames;
  const root = conceptImages.source.kind === 'folder' ? conceptImages.source.root : conceptImages.specString;
  const requireConcept = (name: unknown, field: string): string => {
    if (typeof name !== 'string' || !names.includes(name)) {
      fail(field, `no concept folder named ${JSON.stringify(name)} in ${root} (concepts: ${names.join(', ')})`);
    }
    return name as string;
  };
  const requireImages = (name: string, minimum: number, why: string): void => {
    const count = conceptImages.classCounts[names.indexOf(name)];
    if (count < minimum) {
      throw new AuditError(`holds ${count} image${count === 1 ? '' : 's'} but ${why} needs at least ${minimum}`, { file: join(root, name), code: 'BAD_DATA' });
    }
  };

  let comparisons: ConceptComparison[];
  if (merged.comparisons === null || merged.comparisons === undefined) {
    comparisons = [];
    for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) comparisons.push(comparison(names[i], names[j]));
  } else {
    if (!Array.isArray(merged.comparisons)) fail('comparisons', `must be a list of "A~B" strings or [A, B] pairs, got ${JSON.stringify(merged.comparisons)}`);
    comparisons = merged.comparisons.map((entry, i) => {
      const field = `comparisons[${i}]`;
      const pair = typeof entry === 'string' ? entry.split('~') : entry;
      if (!Array.isArray(pair) || pair.length !== 2) fail(field, `must be "A~B" or [A, B], got ${JSON.stringify(entry)}`);
      const [a, b] = [requireConcept(pair[0], field), requireConcept(pair[1], field)];
      if (a === b) fail(field, `compares concept '${a}' with itself`);
      return comparison(a, b);
    });
    const seen = new Set<string>();
    comparisons.forEach((c, i) => {
      const key = [c.conceptA, c.conceptB].sort().join('~');
      if (seen.has(key)) fail(`comparisons[${i}]`, `'${c.id}' is listed twice (association is symmetric)`);
      seen.add(key);
    });
  }
  if (comparisons.length < 3) {
    fail('comparisons', `has ${comparisons.length} comparison${comparisons.length === 1 ? '' : 's'}; the Bias Transfer Score ranks comparisons, so give at least 3`);
  }
  for (const name of new Set(comparisons.flatMap((c) => [c.conceptA, c.conceptB]))) requireImages(name, merged.subsetSize, `a subset of ${fieldPath}.subsetSize = ${merged.subsetSize}`);

  let weat: Required<WeatParams> | null = null;
  if (merged.weat !== null && merged.weat !== undefined) {
    const w = merged.weat;
    if (!Array.isArray(w.targets) || w.targets.length !== 2) fail('weat.targets', `must be [X, Y], got ${JSON.stringify(w.targets)}`);
    if (!Array.isArray(w.attributes) || w.attributes.length !== 2) fail('weat.attributes', `must be [A, B], got ${JSON.stringify(w.attributes)}`);
    const targets = w.targets.map((name, i) => requireConcept(name, `weat.targets[${i}]`)) as [string, string];
    const attributes = w.attributes.map((name, i) => requireConcept(name, `weat.attributes[${i}]`)) as [string, string];
    if (new Set([...targets, ...attributes]).size !== 4) fail('weat', `needs four different concepts, got targets ${targets.join(', ')} and attributes ${attributes.join(', ')}`);
    for (const name of [...targets, ...attributes]) requireImages(name, 2, 'the WEAT test');
    const maxExactPartitions = w.maxExactPartitions ?? 100_000;
    const sampledPartitions = w.sampledPartitions ?? 10_000;
    if (!Number.isSafeInteger(maxExactPartitions) || maxExactPartitions < 1) fail('weat.maxExactPartitions', `must be an integer >= 1, got ${JSON.stringify(maxExactPartitions)}`);
    if (!Number.isSafeInteger(sampledPartitions) || sampledPartitions < 1) fail('weat.sampledPartitions', `must be an integer >= 1, got ${JSON.stringify(sampledPartitions)}`);
    weat = { targets, attributes, maxExactPartitions, sampledPartitions };
  }
  return { concepts: merged.concepts, comparisons, subsetSize: merged.subsetSize, repeats: merged.repeats, seed: merged.seed, weat };
}

function comparison(conceptA: string, conceptB: string): ConceptComparison {
  return { id: `${conceptA}~${conceptB}`, conceptA, conceptB };
}
