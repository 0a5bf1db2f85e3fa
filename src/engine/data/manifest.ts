import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { AuditError } from '../util/errors';
import { CLASS_NAMES_FILE, readClassNames } from './class-names';
import { parseCsv } from './csv';
import { fileContentIdentity, loadFileRecord, probeFileRecord } from './file-images';
import { byCodePoint } from './image-folder';
import type { RawRecord, SourceListing } from './listing';
import { mapLimit } from './map-limit';

/** Columns with a meaning; every other column is an attribute kept as a string (for the group probes). */
const PATH_COLUMN = 'path';
const LABEL_COLUMN = 'label';
const SPLIT_COLUMN = 'split';

interface ManifestRow {
  path: string;
  label: string | number;
  split?: string;
  attributes: Record<string, string>;
  line: number;
}

/**
 * Lists a CSV or JSONL manifest. Each row names an image `path` (relative to the manifest's folder, or
 * absolute) and a `label`; an optional `split` column; every other column is an attribute (a string).
 *
 * Labels: with a `classes.txt` beside the manifest, a label is a class name from it, or an index into it.
 * Without one, labels that are all non-negative integers are indices (classes named `0`..`max`); otherwise
 * every label is a name and the classes are the distinct names in code-point order.
 *
 * CSV: the first record is the header. JSONL: one JSON object per line; label may be a string or an integer;
 * attribute values may be strings, numbers, booleans or null (null becomes ''), and every line must have the
 * same attribute keys.
 * @throws AuditError naming the manifest (and the line) for a missing file, a missing column or key, a row
 *   with the wrong number of fields, an unknown label, a missing image file, or no rows.
 */
export async function listManifest(path: string, format: 'csv' | 'jsonl'): Promise<SourceListing> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AuditError('manifest not found', { file: path, code: 'ENOENT', cause: e });
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') throw new AuditError('expected a manifest file, found a folder', { file: path, code: 'BAD_SPEC', cause: e });
    throw new AuditError(`cannot read manifest: ${(e as Error).message}`, { file: path, code: 'BAD_DATA', cause: e });
  }
  const fail = (problem: string): never => {
    throw new AuditError(problem, { file: path, code: 'BAD_DATA' });
  };
  const { rows, attributeNames, hasSplitColumn } = format === 'csv' ? readCsvRows(text, fail) : readJsonlRows(text, fail);
  if (rows.length === 0) fail('the manifest has no rows');

  const dir = dirname(path);
  const listed = await readClassNames(dir);
  const { classNames, labelOf } = resolveLabels(rows, listed, fail);
  const records: RawRecord[] = rows.map((row) => ({
    sourceLabel: labelOf(row),
    path: isAbsolute(row.path) ? row.path : resolve(dir, row.path),
    attributes: row.attributes,
    ...(row.split !== undefined ? { split: row.split } : {}),
    listedAt: `line ${row.line}`,
  }));
  await mapLimit(records, 16, async (record) => {
    const ok = await stat(record.path as string).then((s) => s.isFile(), () => false);
    if (!ok) fail(`${record.listedAt}: image file not found: ${record.path}`);
  });
  return {
    kind: 'manifest',
    location: path,
    sourceClassNames: classNames,
    records,
    attributeNames,
    hasSplitColumn,
    load: loadFileRecord,
    isCheap: () => false,
    probe: probeFileRecord,
    contentIdentity: (selected) => fileContentIdentity(selected, dir),
  };
}

type Fail = (problem: string) => never;

function readCsvRows(text: string, fail: Fail): { rows: ManifestRow[]; attributeNames: string[]; hasSplitColumn: boolean } {
  const { records, error } = parseCsv(text);
  if (error) fail(`line ${error.line}: ${error.problem}`);
  if (records.length === 0) fail('the manifest is empty (expected a header such as path,label)');
  const header = records[0].fields.map((name) => name.trim());
  const seen = new Set<string>();
  for (const name of header) {
    if (name === '') fail('the header has an empty column name');
    if (seen.has(name)) fail(`the header names column '${name}' twice`);
    seen.add(name);
  }
  for (const required of [PATH_COLUMN, LABEL_COLUMN]) {
    if (!seen.has(required)) fail(`missing column '${required}' (header: ${header.join(',')}; a manifest needs path,label)`);
  }
  const pathAt = header.indexOf(PATH_COLUMN);
  const labelAt = header.indexOf(LABEL_COLUMN);
  const splitAt = header.indexOf(SPLIT_COLUMN);
  const attributeNames = header.filter((name) => name !== PATH_COLUMN && name !== LABEL_COLUMN && name !== SPLIT_COLUMN);
  const rows = records.slice(1).map(({ fields, line }): ManifestRow => {
    if (fields.length !== header.length) fail(`line ${line}: ${fields.length} field(s), the header has ${header.length}`);
    const path = fields[pathAt].trim();
    const label = fields[labelAt].trim();
    if (path === '') fail(`line ${line}: empty '${PATH_COLUMN}'`);
    if (label === '') fail(`line ${line}: empty '${LABEL_COLUMN}'`);
    const attributes: Record<string, string> = {};
    for (const name of attributeNames) attributes[name] = fields[header.indexOf(name)];
    return { path, label, ...(splitAt >= 0 ? { split: fields[splitAt].trim() } : {}), attributes, line };
  });
  return { rows, attributeNames, hasSplitColumn: splitAt >= 0 };
}

function readJsonlRows(text: string, fail: Fail): { rows: ManifestRow[]; attributeNames: string[]; hasSplitColumn: boolean } {
  const rows: ManifestRow[] = [];
  let attributeNames: string[] | undefined;
  let hasSplitColumn: boolean | undefined;
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((source, i) => {
      const line = i + 1;
      if (source.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(source);
      } catch (e) {
        fail(`line ${line}: not JSON (${(e as Error).message})`);
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`line ${line}: expected a JSON object`);
      const object = value as Record<string, unknown>;
      const path = object[PATH_COLUMN];
      const label = object[LABEL_COLUMN];
      if (path === undefined) fail(`line ${line}: missing key '${PATH_COLUMN}'`);
      if (label === undefined) fail(`line ${line}: missing key '${LABEL_COLUMN}'`);
      if (typeof path !== 'string' || path.trim() === '') fail(`line ${line}: '${PATH_COLUMN}' must be a non-empty string`);
      if (!(typeof label === 'string' && label.trim() !== '') && !(typeof label === 'number' && Number.isSafeInteger(label) && label >= 0)) {
        fail(`line ${line}: '${LABEL_COLUMN}' must be a class name or a non-negative integer index, got ${JSON.stringify(label)}`);
      }
      const split = object[SPLIT_COLUMN];
      if (split !== undefined && typeof split !== 'string') fail(`line ${line}: '${SPLIT_COLUMN}' must be a string`);
      if (hasSplitColumn === undefined) hasSplitColumn = split !== undefined;
      else if (hasSplitColumn !== (split !== undefined)) fail(`line ${line}: '${SPLIT_COLUMN}' must be on every line or on none`);
      const keys = Object.keys(object).filter((k) => k !== PATH_COLUMN && k !== LABEL_COLUMN && k !== SPLIT_COLUMN);
      if (attributeNames === undefined) attributeNames = keys;
      else {
        const missing = attributeNames.filter((k) => !keys.includes(k));
        const extra = keys.filter((k) => !(attributeNames as string[]).includes(k));
        if (missing.length > 0) fail(`line ${line}: missing attribute key(s) ${missing.map((k) => `'${k}'`).join(', ')} that earlier lines have`);
        if (extra.length > 0) fail(`line ${line}: attribute key(s) ${extra.map((k) => `'${k}'`).join(', ')} that earlier lines lack`);
      }
      const attributes: Record<string, string> = {};
      for (const key of keys) attributes[key] = attributeString(object[key], key, line, fail);
      rows.push({
        path: (path as string).trim(),
        label: typeof label === 'string' ? label.trim() : (label as number),
        ...(split !== undefined ? { split: (split as string).trim() } : {}),
        attributes,
        line,
      });
    });
  return { rows, attributeNames: attributeNames ?? [], hasSplitColumn: hasSplitColumn ?? false };
}

function attributeString(value: unknown, key: string, line: number, fail: Fail): string {
  if (value === null) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fail(`line ${line}: attribute '${key}' must be a string, number, boolean or null`);
}

function resolveLabels(rows: ManifestRow[], listed: string[] | undefined, fail: Fail): { classNames: string[]; labelOf: (row: ManifestRow) => number } {
  const isIndex = (label: string | number): boolean => typeof label === 'number' || /^\d+$/.test(label);
  if (listed !== undefined) {
    const byName = new Map(listed.map((name, i) => [name, i]));
    const labelOf = (row: ManifestRow): number => {
      const named = typeof row.label === 'string' ? byName.get(row.label) : undefined;
      if (named !== undefined) return named;
      if (isIndex(row.label) && Number(row.label) < listed.length) return Number(row.label);
      return fail(`line ${row.line}: unknown label '${row.label}' (not a name in ${CLASS_NAMES_FILE}, nor an index 0-${listed.length - 1})`);
    };
    rows.forEach(labelOf);
    return { classNames: listed, labelOf };
  }
  if (rows.every((row) => isIndex(row.label))) {
    const max = Math.max(...rows.map((row) => Number(row.label)));
    if (max >= 100000) fail(`label index ${max} is implausibly large; add a ${CLASS_NAMES_FILE} beside the manifest`);
    return { classNames: Array.from({ length: max + 1 }, (_, i) => String(i)), labelOf: (row) => Number(row.label) };
  }
  const numeric = rows.find((row) => typeof row.label === 'number');
  if (numeric) {
    fail(`line ${numeric.line}: label ${numeric.label} is an index but other labels are names; add a ${CLASS_NAMES_FILE} beside the manifest`);
  }
  const classNames = [...new Set(rows.map((row) => String(row.label)))].sort(byCodePoint);
  const byName = new Map(classNames.map((name, i) => [name, i]));
  return { classNames, labelOf: (row) => byName.get(String(row.label)) as number };
}
