import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file atomically: the data goes to a temporary sibling which is then renamed over the target,
 * so a reader (or a killed process) never sees a half-written file.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** `writeFileAtomic` of pretty-printed JSON with a trailing newline. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Builds a whole directory atomically: `fill` writes into a temporary sibling directory, which then
 * replaces `dir` (an existing `dir` is moved aside and removed only after the swap succeeded).
 * A failure inside `fill` removes the temporary directory and leaves `dir` as it was.
 */
export async function writeDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const suffix = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const tmp = join(parent, `.${basename(dir)}.${suffix}.tmp`);
  const old = join(parent, `.${basename(dir)}.${suffix}.old`);
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  let movedOld = false;
  try {
    await rename(dir, old);
    movedOld = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }
  try {
    await rename(tmp, dir);
  } catch (e) {
    if (movedOld) await rename(old, dir);
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  if (movedOld) await rm(old, { recursive: true, force: true });
}
