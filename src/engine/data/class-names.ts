import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditError } from '../util/errors';

/** The sidecar file that names a dataset's classes, one per line, in index order. */
export const CLASS_NAMES_FILE = 'classes.txt';

/**
 * Reads `classes.txt` from `dir` when it exists (one class name per line; leading and trailing white
 * space and trailing empty lines are ignored). Returns undefined when there is no such file.
 * @throws AuditError for an empty file, an empty line between names or a duplicate name.
 */
export async function readClassNames(dir: string): Promise<string[] | undefined> {
  const file = join(dir, CLASS_NAMES_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AuditError(`cannot read class names: ${(e as Error).message}`, { file, code: 'BAD_DATA', cause: e });
  }
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((line) => line.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new AuditError('the class names file is empty', { file, code: 'BAD_DATA' });
  const seen = new Set<string>();
  lines.forEach((name, i) => {
    if (name === '') throw new AuditError(`line ${i + 1} is empty (one class name per line, in index order)`, { file, code: 'BAD_DATA' });
    if (seen.has(name)) throw new AuditError(`line ${i + 1}: class name '${name}' appears twice`, { file, code: 'BAD_DATA' });
    seen.add(name);
  });
  return lines;
}
