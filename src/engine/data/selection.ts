import { AuditError } from '../util/errors';
import { Random, deriveSeed } from '../util/random';
import { resolveClassFilter } from './class-filter';
import { IMAGE_EXTENSIONS } from './image-folder';
import type { RawRecord, SourceListing } from './listing';
import type { DataSelection } from './spec';

/** The outcome of applying a selection to a source listing. */
export interface Selected {
  /** Kept source class indices, ascending; kept class k is `classNames[k]`. */
  keptClasses: number[];
  classNames: string[];
  /** Selected records in source order with their new labels. */
  records: { record: RawRecord; label: number }[];
}

/**
 * Applies a selection: `split` rows, then the class filter (renumbering kept classes 0..K-1 in source
 * order), then the per-class limit (the first N of each class in source order, or a seeded random N listed
 * in source order).
 * @throws AuditError (codes `BAD_SPEC`, `EMPTY_SELECTION`, `BAD_DATA`) naming `listing.location`: a bad
 *   option value, `split` without a split column or matching no row, a filter selecting no class, a selected
 *   class with no samples, an empty class folder.
 */
export function applySelection(listing: SourceListing, selection: DataSelection): Selected {
  const where = listing.location;
  checkSelectionValues(selection, where);
  let candidates = listing.records;
  if (selection.split !== undefined) {
    if (!listing.hasSplitColumn) {
      throw new AuditError(`split=${selection.split} was asked for, but this ${listing.kind === 'manifest' ? 'manifest has no split column' : 'source has no splits (only manifests have a split column)'}`, {
        file: where,
        code: 'BAD_SPEC',
      });
    }
    const wanted = selection.split;
    candidates = candidates.filter((record) => record.split === wanted);
    if (candidates.length === 0) {
      const found = [...new Set(listing.records.map((record) => record.split))].join(', ');
      throw new AuditError(`no row has split '${wanted}' (splits found: ${found})`, { file: where, code: 'EMPTY_SELECTION' });
    }
  }
  const classCount = listing.sourceClassNames.length;
  const keptClasses =
    selection.classes !== undefined ? resolveClassFilter(selection.classes, listing.sourceClassNames, where) : Array.from({ length: classCount }, (_, i) => i);
  const newLabel = new Map(keptClasses.map((source, label) => [source, label]));
  const byClass: RawRecord[][] = keptClasses.map(() => []);
  for (const record of candidates) {
    const label = newLabel.get(record.sourceLabel);
    if (label !== undefined) byClass[label].push(record);
  }
  keptClasses.forEach((source, label) => {
    if (byClass[label].length > 0) return;
    if (listing.classFolders !== undefined) {
      throw new AuditError(`empty class folder: no ${IMAGE_EXTENSIONS.join(', ')} images in class '${listing.sourceClassNames[source]}'`, {
        file: listing.classFolders[source],
        code: 'BAD_DATA',
      });
    }
    if (selection.classes !== undefined) {
      throw new AuditError(`class '${listing.sourceClassNames[source]}' (index ${source}) was selected but has no samples${selection.split !== undefined ? ` in split '${selection.split}'` : ''}`, {
        file: where,
        code: 'EMPTY_SELECTION',
      });
    }
  });
  const limited = byClass.map((records, label) => limitClass(records, selection, label));
  const chosen = new Set(limited.flat());
  const records: Selected['records'] = [];
  for (const record of candidates) {
    if (chosen.has(record)) records.push({ record, label: newLabel.get(record.sourceLabel) as number });
  }
  if (records.length === 0) throw new AuditError('the selection keeps no sample', { file: where, code: 'EMPTY_SELECTION' });
  return { keptClasses, classNames: keptClasses.map((source) => listing.sourceClassNames[source]), records };
}

function limitClass(records: RawRecord[], selection: DataSelection, label: number): RawRecord[] {
  const limit = selection.perClass;
  if (limit === undefined || records.length <= limit) return records;
  if (selection.perClassSeed === undefined) return records.slice(0, limit);
  const positions = records.map((_, i) => i);
  new Random(deriveSeed(selection.perClassSeed, 'perClass', label)).shuffle(positions);
  return positions
    .slice(0, limit)
    .sort((a, b) => a - b)
    .map((i) => records[i]);
}

function checkSelectionValues(selection: DataSelection, where: string): void {
  const bad = (problem: string): never => {
    throw new AuditError(problem, { file: where, code: 'BAD_SPEC' });
  };
  if (selection.perClass !== undefined && !(Number.isSafeInteger(selection.perClass) && selection.perClass >= 1)) {
    bad(`perClass must be an integer >= 1, got ${JSON.stringify(selection.perClass)}`);
  }
  if (selection.perClassSeed !== undefined && !(Number.isSafeInteger(selection.perClassSeed) && selection.perClassSeed >= 0)) {
    bad(`perClassSeed must be an integer >= 0, got ${JSON.stringify(selection.perClassSeed)}`);
  }
  if (selection.perClassSeed !== undefined && selection.perClass === undefined) bad('perClassSeed needs perClass');
  if (selection.classes !== undefined && typeof selection.classes !== 'string' && !Array.isArray(selection.classes)) {
    bad(`classes must be a string such as "0-4" or a list of indices and names`);
  }
}
