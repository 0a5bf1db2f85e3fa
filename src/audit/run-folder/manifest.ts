import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../engine/util/atomic';
import { hashJson } from '../../engine/util/hash';
import { MANIFEST_FILE } from '../../protocol/runFiles';
import type { AuditConfig } from '../config/config-types';

export const MANIFEST_FORMAT = 'bias-audit-manifest/1';

/** One step as the manifest records it: what it was, its key, and whether this run computed or reused it. */
export interface ManifestStep {
  key: string;
  kind: string;
  label: string;
  state: 'pending' | 'computed' | 'reused';
  seconds: number | null;
}

/**
 * `manifest.json`: the provenance of a run. The config as written and its hash, tool and library versions, the
 * compute backend, seeds, and the content hashes of every model, dataset and recipe, plus every step's key.
 */
export interface RunManifest {
  format: typeof MANIFEST_FORMAT;
  runId: string;
  name: string;
  description: string | null;
  /** ISO 8601: when the run folder was first created, and when this manifest was written. */
  createdAt: string;
  updatedAt: string;
  /** How many times the run was started (1 + resumes). */
  attempts: number;
  configPath: string;
  configHash: string;
  config: AuditConfig;
  versions: Record<string, string>;
  computeBackend: { name: string; threads: number; simd: boolean; detail: string };
  seeds: number[];
  contentHashes: {
    datasets: { train: string; test: string; validation: string | null };
    /** Model id -> sha256 of topology and weights (known once trained). */
    models: Record<string, string>;
    /** Recipe name -> hash of the resolved recipe. */
    recipes: Record<string, string>;
  };
  data: { train: string; test: string; validation: string | null };
  steps: ManifestStep[];
  cache: Record<string, number> | null;
}

/** The manifest already in a run folder (a resumed run keeps its id and creation date), or null. */
export async function readManifest(runDir: string): Promise<RunManifest | null> {
  try {
    const value = JSON.parse(await readFile(join(runDir, MANIFEST_FILE), 'utf8')) as RunManifest;
    return value.format === MANIFEST_FORMAT ? value : null;
  } catch {
    return null;
  }
}

export async function writeManifest(runDir: string, manifest: RunManifest): Promise<void> {
  await writeJsonAtomic(join(runDir, MANIFEST_FILE), { ...manifest, updatedAt: new Date().toISOString() });
}

/** The hash a manifest records for a config. */
export function configHash(config: AuditConfig): string {
  return hashJson(config);
}
