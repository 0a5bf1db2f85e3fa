import { isAbsolute, resolve } from 'node:path';
import { AuditError } from '../util/errors';

/** Where the images come from. Paths are absolute once parsed. */
export type DataSource =
  | { kind: 'folder'; root: string }
  | { kind: 'manifest'; format: 'csv' | 'jsonl'; path: string }
  | { kind: 'idx'; images: string; labels: string };

/**
 * Which part of a source to use. The same fields are accepted as the `?` suffix of a SPEC string (CLI) and
 * as a structured object (the audit config); see {@link parseDataSpec} for the syntax.
 */
export interface DataSelection {
  /**
   * Classes to keep, in the source's class numbering. A string such as `"0-4"`, `"0,2,7"` or
   * `"Coat,Shirt"` (comma-separated tokens), or a list whose numbers are indices and whose strings are
   * tokens. A token equal to a class name is that class; otherwise `N` is index N and `A-B` an inclusive
   * range. The kept classes are renumbered 0..K-1 in source order (so `7,2` equals `2,7`).
   */
  classes?: string | readonly (string | number)[];
  /** At most this many samples per kept class: the first ones in source order unless `perClassSeed` is set. */
  perClass?: number;
  /** When set, the per-class subset is a seeded random choice (still listed in source order). */
  perClassSeed?: number;
  /** Manifests only: keep rows whose `split` column equals this value. */
  split?: string;
}

/** A parsed data SPEC: the source and the selection written in its `?` suffix. */
export interface DataSpec {
  source: DataSource;
  selection: DataSelection;
}

const SELECTION_KEYS = ['classes', 'perClass', 'perClassSeed', 'split'] as const;

/**
 * Parses a data SPEC string. Purely syntactic: nothing is read from disk (`openDataset` checks the paths).
 *
 * ```
 * SPEC     := SOURCE [ "?" OPTIONS ]
 * SOURCE   := "idx:" IMAGES "," LABELS        IDX pair (MNIST format), each raw or gzipped
 *           | "folder:" DIR | "csv:" FILE | "jsonl:" FILE
 *           | PATH        a directory is an ImageFolder (root/<class>/*.png|jpg|jpeg|webp),
 *                         *.csv a CSV manifest, *.jsonl or *.ndjson a JSONL manifest
 * OPTIONS  := KEY "=" VALUE ( "&" KEY "=" VALUE )*
 *   classes=0-4 | classes=0,2,7 | classes=Coat,Shirt   class indices (inclusive ranges) or exact names;
 *                                                      a token equal to a class name is that name
 *   perClass=500          at most 500 samples per class
 *   perClassSeed=7        choose the per-class subset at random with this seed (default: the first ones)
 *   split=train           manifests: rows whose `split` column is `train`
 * ```
 * Values are percent-decoded after splitting on `&` and `,` (write a comma in a class name as `%2C`, a `&`
 * as `%26`, a `?` as `%3F`). A path holding `?` cannot be written as a SPEC string; pass a `DataSpec`.
 * Relative paths resolve against `baseDir` (default: the working directory).
 *
 * @example
 * parseDataSpec('idx:samples/fashion-mnist/test-images-idx3-ubyte.gz,samples/fashion-mnist/test-labels-idx1-ubyte.gz?classes=0-4&perClass=50')
 * parseDataSpec('data/photos?classes=cat,dog')
 * parseDataSpec('people.csv?split=train', { baseDir: '/project' })
 * @throws AuditError (code `BAD_SPEC`) for an empty SPEC, an unknown `scheme:`, a malformed option.
 */
export function parseDataSpec(spec: string, options: { baseDir?: string } = {}): DataSpec {
  const baseDir = options.baseDir ?? process.cwd();
  if (spec.trim() === '') throw badSpec(spec, 'the data SPEC is empty');
  const queryAt = spec.lastIndexOf('?');
  const body = queryAt >= 0 ? spec.slice(0, queryAt) : spec;
  const selection = queryAt >= 0 ? parseSelectionQuery(spec.slice(queryAt + 1), spec) : {};
  return { source: parseSource(body, baseDir, spec), selection };
}

function parseSource(body: string, baseDir: string, spec: string): DataSource {
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  // Two letters at least, so a Windows drive (`C:\data`) is a path, not a scheme.
  const scheme = /^([A-Za-z][A-Za-z0-9]+):(.*)$/s.exec(body);
  if (scheme) {
    const name = scheme[1].toLowerCase();
    const rest = scheme[2];
    if (rest === '') throw badSpec(spec, `nothing after '${scheme[1]}:'`);
    switch (name) {
      case 'idx': {
        const parts = rest.split(',');
        if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
          throw badSpec(spec, 'an IDX SPEC is idx:IMAGES,LABELS (two files separated by one comma)');
        }
        return { kind: 'idx', images: abs(parts[0]), labels: abs(parts[1]) };
      }
      case 'folder':
        return { kind: 'folder', root: abs(rest) };
      case 'csv':
        return { kind: 'manifest', format: 'csv', path: abs(rest) };
      case 'jsonl':
        return { kind: 'manifest', format: 'jsonl', path: abs(rest) };
      default:
        throw badSpec(spec, `unknown SPEC form '${scheme[1]}:'; ${FORMS}`);
    }
  }
  const lower = body.toLowerCase();
  if (lower.endsWith('.csv')) return { kind: 'manifest', format: 'csv', path: abs(body) };
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return { kind: 'manifest', format: 'jsonl', path: abs(body) };
  if (/idx\d-ubyte(\.gz)?$/.test(lower)) {
    throw badSpec(spec, `an IDX file needs its pair: write idx:IMAGES,LABELS; ${FORMS}`);
  }
  // Anything else must be a directory; openDataset says so when it is a file.
  return { kind: 'folder', root: abs(body) };
}

/** The forms a SPEC may take, for error messages. */
export const FORMS =
  'a data SPEC is an ImageFolder directory (root/<class>/*.png|jpg|jpeg|webp), a .csv or .jsonl manifest, or idx:IMAGES,LABELS, optionally followed by ?classes=..&perClass=..&perClassSeed=..&split=..';

function parseSelectionQuery(query: string, spec: string): DataSelection {
  const selection: DataSelection = {};
  if (query === '') return selection;
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw badSpec(spec, `option '${pair}' is not KEY=VALUE`);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    if (!(SELECTION_KEYS as readonly string[]).includes(key)) {
      throw badSpec(spec, `unknown option '${key}' (known: ${SELECTION_KEYS.join(', ')})`);
    }
    if ((selection as Record<string, unknown>)[key] !== undefined) throw badSpec(spec, `option '${key}' given twice`);
    switch (key) {
      case 'classes':
        // Split before decoding, so a class name may hold an encoded comma (%2C).
        selection.classes = raw.split(',').map((token) => decode(token.trim(), spec));
        break;
      case 'perClass':
        selection.perClass = parseCount(decode(raw, spec), 'perClass', spec, 1);
        break;
      case 'perClassSeed':
        selection.perClassSeed = parseCount(decode(raw, spec), 'perClassSeed', spec, 0);
        break;
      case 'split':
        selection.split = decode(raw, spec);
        break;
    }
  }
  return selection;
}

function parseCount(text: string, key: string, spec: string, min: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) {
    throw badSpec(spec, `${key} must be an integer >= ${min}, got '${text}'`);
  }
  return Number(text);
}

function decode(text: string, spec: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw badSpec(spec, `bad percent-encoding in '${text}'`);
  }
}

function badSpec(spec: string, problem: string): AuditError {
  return new AuditError(`bad data SPEC '${spec}': ${problem}`, { code: 'BAD_SPEC' });
}

/** Writes a SPEC back as a string (for logs and provenance), the inverse of {@link parseDataSpec}. */
export function formatDataSpec(spec: DataSpec): string {
  const { source, selection } = spec;
  const body =
    source.kind === 'idx'
      ? `idx:${source.images},${source.labels}`
      : source.kind === 'folder'
        ? `folder:${source.root}`
        : `${source.format}:${source.path}`;
  const parts: string[] = [];
  if (selection.classes !== undefined) parts.push(`classes=${classTokens(selection.classes).map((t) => encodeToken(String(t))).join(',')}`);
  if (selection.perClass !== undefined) parts.push(`perClass=${selection.perClass}`);
  if (selection.perClassSeed !== undefined) parts.push(`perClassSeed=${selection.perClassSeed}`);
  if (selection.split !== undefined) parts.push(`split=${encodeToken(selection.split)}`);
  return parts.length > 0 ? `${body}?${parts.join('&')}` : body;
}

/**
 * Merges the selection written in a SPEC's suffix with one given as options. Giving the same field in both
 * with different values is an error rather than a silent override.
 */
export function mergeSelections(fromSpec: DataSelection, fromOptions: DataSelection, where: string): DataSelection {
  const merged: DataSelection = { ...fromSpec };
  for (const key of SELECTION_KEYS) {
    const value = fromOptions[key];
    if (value === undefined) continue;
    const existing = fromSpec[key];
    const comparable = (v: unknown): string => JSON.stringify(key === 'classes' ? classTokens(v as NonNullable<DataSelection['classes']>) : v);
    if (existing !== undefined && comparable(existing) !== comparable(value)) {
      throw new AuditError(`${where}: '${key}' is given both in the SPEC (${JSON.stringify(existing)}) and in the options (${JSON.stringify(value)})`, {
        code: 'BAD_SPEC',
      });
    }
    (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

/**
 * The tokens of a class filter: list items as they are, or a string split on commas (not percent-decoded:
 * only the SPEC suffix is encoded; use the list form for a name holding a comma).
 */
export function classTokens(classes: string | readonly (string | number)[]): (string | number)[] {
  return typeof classes === 'string' ? classes.split(',').map((token) => token.trim()) : [...classes];
}

/** Percent-encodes only what would break the suffix syntax, keeping names such as `T-shirt/top` readable. */
function encodeToken(text: string): string {
  return text.replace(/[%,&?#]/g, (ch) => encodeURIComponent(ch));
}
