import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, normalize, resolve, sep } from 'node:path';
import { writeFileAtomic } from '../../engine/util/atomic';
import { AuditError } from '../../engine/util/errors';
import { parseAuditResults, RESULTS_FILE, RunFileError } from '../../protocol/runFiles';
import type { AuditResults } from '../../protocol/results';
import { renderReport } from './report-html';

export const REPORT_FILE = 'report.html';

const MIME: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.svg': 'image/svg+xml' };

/** Reads run-folder images as data URIs; paths must stay inside the run folder. */
export function runFolderInliner(runDir: string): (relativePath: string) => string | null {
  const root = resolve(runDir);
  return (relativePath) => {
    const file = resolve(root, normalize(relativePath));
    if (file !== root && !file.startsWith(root + sep)) return null;
    const mime = MIME[file.slice(file.lastIndexOf('.')).toLowerCase()];
    if (mime === undefined) return null;
    try {
      return `data:${mime};base64,${readFileSync(file).toString('base64')}`;
    } catch {
      return null;
    }
  };
}

/** Writes report.html (or `htmlFile`) for `results`, inlining the run folder's images. Returns its path. */
export async function writeReport(runDir: string, results: AuditResults, htmlFile = join(runDir, REPORT_FILE)): Promise<string> {
  await writeFileAtomic(htmlFile, renderReport(results, runFolderInliner(runDir)));
  return htmlFile;
}

/** Regenerates a run's report from its results.json (`bias-audit report`). */
export async function regenerateReport(runDir: string, htmlFile?: string): Promise<{ reportPath: string; results: AuditResults }> {
  const file = join(runDir, RESULTS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new AuditError((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no results.json: the run has not finished, or this is not a run folder' : (e as Error).message, { file, code: 'ENOENT' });
  }
  let results: AuditResults;
  try {
    results = parseAuditResults(text, file);
  } catch (e) {
    if (e instanceof RunFileError) throw new AuditError(e.message.slice(e.file.length + 2), { file, code: 'BAD_RESULTS' });
    throw e;
  }
  const reportPath = await writeReport(runDir, results, htmlFile === undefined ? undefined : resolve(htmlFile));
  return { reportPath, results };
}
