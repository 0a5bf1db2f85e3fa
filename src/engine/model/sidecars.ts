import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { normalizationProblem, type Normalization } from '../data/normalization';
import { AuditError } from '../util/errors';

/**
 * Files that may sit beside model.json and describe it: `classes.txt` (one class name per line),
 * `classes.json` (a list, `{"classes": [...]}`, or an index map such as Keras' imagenet_class_index.json),
 * and `metadata.json` (e.g. Teachable Machine's `{"labels": [...]}`, optionally `normalization`).
 */
export interface Sidecars {
  classNames?: string[];
  classNamesFile?: string;
  normalization?: Normalization;
  normalizationFile?: string;
}

/** File name of the class list `saveModel` writes. */
export const CLASSES_TXT = 'classes.txt';
const JSON_SIDECARS = ['classes.json', 'metadata.json'];
const CLASS_FIELDS = ['classNames', 'class_names', 'classes', 'labels'];

/** Reads the sidecars in `dir`; the first file that names classes wins, in the order classes.txt, classes.json, metadata.json. */
export async function readSidecars(dir: string): Promise<Sidecars> {
  const result: Sidecars = {};
  const txtPath = join(dir, CLASSES_TXT);
  const txt = await readOptional(txtPath);
  if (txt !== undefined) {
    result.classNames = parseClassesTxt(txt, txtPath);
    result.classNamesFile = txtPath;
  }
  for (const name of JSON_SIDECARS) {
    const file = join(dir, name);
    const text = await readOptional(file);
    if (text === undefined) continue;
    const json = parseJsonObjectOrArray(text, file);
    if (result.classNames === undefined) {
      const names = classNamesFromJson(json, file);
      if (names) {
        result.classNames = names;
        result.classNamesFile = file;
      }
    }
    if (result.normalization === undefined && !Array.isArray(json) && json.normalization !== undefined) {
      result.normalization = parseNormalization(json.normalization, file);
      result.normalizationFile = file;
    }
  }
  return result;
}

/** One class name per line; trailing blank lines are ignored, blank or duplicate names are errors. */
export function parseClassesTxt(text: string, file: string): string[] {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  const names = lines.map((line, i) => {
    const name = line.trim();
    if (name === '') throw new AuditError(`line ${i + 1} is blank; every line must name one class`, { file, code: 'BAD_CLASSES' });
    return name;
  });
  if (names.length === 0) throw new AuditError('lists no classes', { file, code: 'BAD_CLASSES' });
  checkUnique(names, file);
  return names;
}

function classNamesFromJson(json: Record<string, unknown> | unknown[], file: string): string[] | undefined {
  if (Array.isArray(json)) return stringList(json, file);
  for (const field of CLASS_FIELDS) {
    if (json[field] !== undefined) {
      const value = json[field];
      if (Array.isArray(value)) return stringList(value, file, field);
      throw new AuditError(`field "${field}" must be a list of class names`, { file, code: 'BAD_CLASSES' });
    }
  }
  const keys = Object.keys(json);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) return indexMap(json, file);
  return undefined;
}

/** `{"0": "tench", ...}` or Keras' `{"0": ["n01440764", "tench"], ...}`. */
function indexMap(json: Record<string, unknown>, file: string): string[] {
  const count = Object.keys(json).length;
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const value = json[String(i)];
    const name = typeof value === 'string' ? value : Array.isArray(value) && typeof value[value.length - 1] === 'string' ? (value[value.length - 1] as string) : undefined;
    if (name === undefined) throw new AuditError(`class index map has no usable entry for index ${i}`, { file, code: 'BAD_CLASSES' });
    names.push(name);
  }
  checkUnique(names, file);
  return names;
}

function stringList(value: unknown[], file: string, field?: string): string[] {
  const where = field ? `field "${field}"` : 'class list';
  if (value.length === 0) throw new AuditError(`${where} is empty`, { file, code: 'BAD_CLASSES' });
  if (!value.every((v) => typeof v === 'string' && v.trim() !== '')) {
    throw new AuditError(`${where} must contain only non-empty strings`, { file, code: 'BAD_CLASSES' });
  }
  const names = (value as string[]).map((v) => v.trim());
  checkUnique(names, file);
  return names;
}

function checkUnique(names: string[], file: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new AuditError(`class name "${name}" appears twice`, { file, code: 'BAD_CLASSES' });
    seen.add(name);
  }
}

/** Validates a `{ scale, mean[], std[] }` value read from `file`. */
export function parseNormalization(value: unknown, file: string): Normalization {
  const v = value as { scale?: unknown; mean?: unknown; std?: unknown } | null;
  const numbers = (a: unknown): a is number[] => Array.isArray(a) && a.length > 0 && a.every((x) => typeof x === 'number');
  if (!v || typeof v !== 'object' || typeof v.scale !== 'number' || !numbers(v.mean) || !numbers(v.std)) {
    throw new AuditError('normalization must be { scale: number, mean: number[], std: number[] }', { file, code: 'BAD_META' });
  }
  const normalization = { scale: v.scale, mean: [...v.mean], std: [...v.std] };
  // Channel counts are checked against the model by the loader; here only what holds for any model.
  const problem = normalizationProblem(normalization, Math.max(normalization.mean.length, normalization.std.length));
  if (problem !== undefined) throw new AuditError(`normalization: ${problem}`, { file, code: 'BAD_META' });
  return normalization;
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AuditError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file, code: 'BAD_CLASSES', cause: e });
  }
}

function parseJsonObjectOrArray(text: string, file: string): Record<string, unknown> | unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new AuditError(`is not valid JSON (${(e as Error).message})`, { file, code: 'BAD_CLASSES', cause: e });
  }
  if (typeof value !== 'object' || value === null) throw new AuditError('must hold a JSON object or list', { file, code: 'BAD_CLASSES' });
  return value as Record<string, unknown> | unknown[];
}
