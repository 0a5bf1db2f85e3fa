import { AuditError } from '../util/errors';
import type { BatchNormPolicy, BlockPrefixSpec, FreezeSpec, Lineage, ModelMeta } from './meta';
import { parseNormalization } from './sidecars';

/**
 * Validates `userDefinedMetadata.biasAudit` read from a model.json. Hand-edited or foreign metadata
 * gets a message naming the file and the field instead of failing later deep inside an audit.
 */
export function parseModelMeta(value: unknown, file: string): ModelMeta {
  const fail = (field: string, problem: string): never => {
    throw new AuditError(`userDefinedMetadata.biasAudit.${field} ${problem}`, { file, code: 'BAD_META' });
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('', 'must be an object');
  const v = value as Record<string, unknown>;
  if (v.formatVersion !== 1) fail('formatVersion', `is ${JSON.stringify(v.formatVersion)}; this version reads 1`);
  if (!Array.isArray(v.classNames) || v.classNames.length === 0 || !v.classNames.every((c) => typeof c === 'string')) {
    fail('classNames', 'must be a non-empty list of strings');
  }
  const shape = v.inputShape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    fail('inputShape', 'must be [height, width, channels] of positive integers');
  }
  if (typeof v.architecture !== 'string') fail('architecture', 'must be a string');
  const meta: ModelMeta = {
    formatVersion: 1,
    classNames: [...(v.classNames as string[])],
    inputShape: [...(shape as number[])] as [number, number, number],
    normalization: parseNormalization(v.normalization, file),
    architecture: v.architecture as string,
  };
  if (v.blockPrefixes !== undefined) meta.blockPrefixes = parseBlockPrefixes(v.blockPrefixes, fail);
  if (v.lineage !== undefined) meta.lineage = parseLineage(v.lineage, fail);
  if (v.frozenWeightHashes !== undefined) {
    const hashes = v.frozenWeightHashes;
    if (typeof hashes !== 'object' || hashes === null || !Object.values(hashes).every((h) => typeof h === 'string')) {
      fail('frozenWeightHashes', 'must map block names to hash strings');
    }
    meta.frozenWeightHashes = { ...(hashes as Record<string, string>) };
  }
  return meta;
}

function parseBlockPrefixes(value: unknown, fail: (field: string, problem: string) => never): BlockPrefixSpec[] {
  if (!Array.isArray(value) || value.length === 0) fail('blockPrefixes', 'must be a non-empty list');
  return (value as unknown[]).map((entry, i) => {
    const e = entry as Partial<BlockPrefixSpec> | null;
    if (!e || typeof e.name !== 'string' || !Array.isArray(e.prefixes) || e.prefixes.length === 0 || !e.prefixes.every((p) => typeof p === 'string' && p !== '')) {
      fail(`blockPrefixes[${i}]`, 'must be { name: string, prefixes: non-empty strings[] }');
    }
    return { name: e!.name!, prefixes: [...e!.prefixes!] };
  });
}

function parseLineage(value: unknown, fail: (field: string, problem: string) => never): Lineage {
  const v = value as Record<string, unknown> | null;
  if (!v || typeof v !== 'object') fail('lineage', 'must be an object');
  const l = v as Record<string, unknown>;
  if (l.role !== 'foundation' && l.role !== 'child' && l.role !== 'scratch') fail('lineage.role', 'must be foundation, child or scratch');
  if (!Number.isInteger(l.freezeDepth) || (l.freezeDepth as number) < 0) fail('lineage.freezeDepth', 'must be an integer >= 0');
  const strings = (a: unknown): a is string[] => Array.isArray(a) && a.every((x) => typeof x === 'string');
  if (!strings(l.frozenBlocks)) fail('lineage.frozenBlocks', 'must be a list of block names');
  if (!strings(l.frozenLayers)) fail('lineage.frozenLayers', 'must be a list of layer names');
  if (l.bnPolicy !== 'frozen' && l.bnPolicy !== 'train') fail('lineage.bnPolicy', 'must be "frozen" or "train"');
  if (typeof l.headReplaced !== 'boolean') fail('lineage.headReplaced', 'must be a boolean');
  if (typeof l.seed !== 'number') fail('lineage.seed', 'must be a number');
  const lineage: Lineage = {
    role: l.role as Lineage['role'],
    freezeDepth: l.freezeDepth as number,
    frozenBlocks: [...(l.frozenBlocks as string[])],
    frozenLayers: [...(l.frozenLayers as string[])],
    bnPolicy: l.bnPolicy as BatchNormPolicy,
    headReplaced: l.headReplaced as boolean,
    seed: l.seed as number,
  };
  if (l.parentHash !== undefined) {
    if (typeof l.parentHash !== 'string') fail('lineage.parentHash', 'must be a string');
    lineage.parentHash = l.parentHash as string;
  }
  if (l.freezeSpec !== undefined) {
    if (!(l.freezeSpec === 'fixed' || l.freezeSpec === 'full' || Number.isInteger(l.freezeSpec))) fail('lineage.freezeSpec', 'must be a number, "fixed" or "full"');
    lineage.freezeSpec = l.freezeSpec as FreezeSpec;
  }
  if (l.recipe !== undefined) {
    if (typeof l.recipe !== 'object' || l.recipe === null) fail('lineage.recipe', 'must be an object');
    lineage.recipe = l.recipe as Record<string, unknown>;
  }
  return lineage;
}
