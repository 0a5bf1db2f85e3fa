import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditError } from '../util/errors';
import { CLASS_NAMES_FILE, readClassNames } from './class-names';
import { fileContentIdentity, loadFileRecord, probeFileRecord } from './file-images';
import type { RawRecord, SourceListing } from './listing';
import { FORMS } from './spec';

/** File name endings an ImageFolder picks up (case-insensitive). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'];

const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Lists an ImageFolder: `root/<class>/**\/*.{png,jpg,jpeg,webp}`. Classes are the sub-folders in code-point
 * order (as torchvision's ImageFolder), or the order of `root/classes.txt` when present (every folder must
 * then be listed, and every listed class must have a folder). Images inside a class folder are found
 * recursively and listed in code-point order of their relative paths. Hidden entries are skipped.
 * @throws AuditError when the root is missing or not a folder, or has no class folders, or disagrees with
 *   its classes.txt. (An empty class folder is reported by `openDataset` when that class is selected.)
 */
export async function listImageFolder(root: string): Promise<SourceListing> {
  await requireDirectory(root);
  const entries = await readdirOrFail(root);
  const folders: string[] = [];
  for (const entry of entries) {
    if (!entry.name.startsWith('.') && (await isDirectory(root, entry))) folders.push(entry.name);
  }
  folders.sort(byCodePoint);
  if (folders.length === 0) {
    throw new AuditError(`no class folders: an ImageFolder holds one sub-folder of images per class`, { file: root, code: 'BAD_DATA' });
  }
  const listed = await readClassNames(root);
  let classNames = folders;
  if (listed !== undefined) {
    const unlisted = folders.filter((f) => !listed.includes(f));
    if (unlisted.length > 0) {
      throw new AuditError(`folder(s) ${unlisted.map((f) => `'${f}'`).join(', ')} are not listed in ${CLASS_NAMES_FILE}`, { file: root, code: 'BAD_DATA' });
    }
    const missing = listed.filter((name) => !folders.includes(name));
    if (missing.length > 0) {
      throw new AuditError(`class(es) ${missing.map((f) => `'${f}'`).join(', ')} from ${CLASS_NAMES_FILE} have no folder`, { file: root, code: 'BAD_DATA' });
    }
    classNames = listed;
  }
  const records: RawRecord[] = [];
  for (let label = 0; label < classNames.length; label++) {
    const files = await listImagesRecursively(join(root, classNames[label]));
    for (const path of files) records.push({ sourceLabel: label, path, attributes: NO_ATTRIBUTES });
  }
  return {
    kind: 'folder',
    location: root,
    sourceClassNames: classNames,
    records,
    attributeNames: [],
    hasSplitColumn: false,
    classFolders: classNames.map((name) => join(root, name)),
    load: loadFileRecord,
    isCheap: () => false,
    probe: probeFileRecord,
    contentIdentity: (selected) => fileContentIdentity(selected, root),
  };
}

async function requireDirectory(root: string): Promise<void> {
  let info;
  try {
    info = await stat(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AuditError('data path not found', { file: root, code: 'ENOENT', cause: e });
    throw new AuditError(`cannot read data path: ${(e as Error).message}`, { file: root, code: 'BAD_DATA', cause: e });
  }
  if (!info.isDirectory()) throw new AuditError(`unknown data SPEC form: this is a file, not a folder; ${FORMS}`, { file: root, code: 'BAD_SPEC' });
}

async function readdirOrFail(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new AuditError(`cannot list folder: ${(e as Error).message}`, { file: dir, code: 'BAD_DATA', cause: e });
  }
}

async function listImagesRecursively(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (current: string, prefix: string): Promise<void> => {
    for (const entry of await readdirOrFail(current)) {
      if (entry.name.startsWith('.')) continue;
      const path = join(current, entry.name);
      if (await isDirectory(current, entry)) await walk(path, `${prefix}${entry.name}/`);
      else if (IMAGE_EXTENSIONS.some((ext) => entry.name.toLowerCase().endsWith(ext))) found.push(`${prefix}${entry.name}`);
    }
  };
  await walk(dir, '');
  return found.sort(byCodePoint).map((relativePath) => join(dir, ...relativePath.split('/')));
}

/** Whether an entry is a folder, following a symbolic link (datasets are often linked in). */
async function isDirectory(parent: string, entry: Dirent): Promise<boolean> {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return (await stat(join(parent, entry.name))).isDirectory();
  } catch {
    return false;
  }
}

/** Locale-independent order, so the class numbering is the same on every machine. */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
