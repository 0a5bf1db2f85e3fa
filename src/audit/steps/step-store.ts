import { access, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../engine/util/atomic';

/** What a finished step leaves in `steps/<key>.json`. */
export interface StepRecord<R = unknown> {
  format: 'bias-audit-step-record/1';
  key: string;
  kind: string;
  label: string;
  /** A readable digest of what went into the key (for provenance; the key is the hash of the full inputs). */
  inputs: unknown;
  finishedAt: string;
  seconds: number;
  /** Files the step wrote, relative to the run folder; the record is only reused while they all exist. */
  files: string[];
  result: R;
}

export const STEPS_DIR = 'steps';

/**
 * Finished steps of a run folder, one JSON file per step key, each written atomically once the step's files are
 * in place: a killed run leaves either a complete record or none.
 */
export class StepStore {
  constructor(private readonly runDir: string) {}

  private file(key: string): string {
    return join(this.runDir, STEPS_DIR, `${key}.json`);
  }

  /** The record of a finished step, or null when it never finished (or its files are gone, or it is unreadable). */
  async read<R>(key: string): Promise<StepRecord<R> | null> {
    let record: StepRecord<R>;
    try {
      record = JSON.parse(await readFile(this.file(key), 'utf8')) as StepRecord<R>;
    } catch {
      return null;
    }
    if (record.format !== 'bias-audit-step-record/1' || record.key !== key) return null;
    for (const f of record.files) {
      try {
        await access(join(this.runDir, f));
      } catch {
        return null;
      }
    }
    return record;
  }

  async write<R>(record: StepRecord<R>): Promise<void> {
    await writeJsonAtomic(this.file(record.key), record);
  }

  /** Removes records whose key is not in `keep` (steps of an earlier config); returns how many. */
  async prune(keep: ReadonlySet<string>): Promise<number> {
    let names: string[];
    try {
      names = await readdir(join(this.runDir, STEPS_DIR));
    } catch {
      return 0;
    }
    let removed = 0;
    for (const name of names) {
      if (!name.endsWith('.json') || keep.has(name.slice(0, -5))) continue;
      await rm(join(this.runDir, STEPS_DIR, name), { force: true });
      removed++;
    }
    return removed;
  }
}
