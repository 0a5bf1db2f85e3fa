import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * The project's name, version and root folder, from its package.json above this file (in dist/ for the bundles,
 * out/src/... for tsc's output, which also holds a copy of package.json that is skipped: its folder has no samples).
 */
export function toolInfo(): { name: string; version: string; root: string } {
  cached ??= findPackage();
  return cached;
}

let cached: { name: string; version: string; root: string } | undefined;

function findPackage(): { name: string; version: string; root: string } {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'bias-transfer-auditor' && basename(dir) !== 'out') return { name: pkg.name, version: pkg.version ?? '0.0.0', root: dir };
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return { name: 'bias-transfer-auditor', version: '0.0.0', root: process.cwd() };
}

/** Versions recorded in the manifest (provenance). */
export function runtimeVersions(): Record<string, string> {
  return {
    tool: toolInfo().version,
    node: process.versions.node,
    tfjsCore: tf.version_core,
    tfjsLayers: tfl.version_layers,
    platform: `${process.platform}-${process.arch}`,
  };
}
