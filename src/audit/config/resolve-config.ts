import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { parseDataSpec } from '../../engine/data/spec';
import type { FreezeSpec } from '../../engine/model/meta';
import { resolveRecipe } from '../../engine/train/recipe';
import { AuditError } from '../../engine/util/errors';
import { messageWithoutFile, ProblemList } from './config-error';
import type { ImportOptions } from '../../engine/import/import-checkpoint';
import type { AuditConfig, DataRefConfig, FoundationCheckpointConfig, RecipeConfig } from './config-types';
import { resolveProbePaths } from './probe-paths';
import type { ResolvedAuditConfig, ResolvedChildren, ResolvedDataRef, ResolvedExistingModel } from './resolved-config';
import { schemaProblems } from './schema-check';

export const CONFIG_SUFFIX = '.biasaudit.json';
export const DEFAULT_OUTPUT = 'bias-audit-runs';
export const DEFAULT_TEST_FRACTION = 0.2;

/**
 * Reads, validates and resolves an audit config file. Every problem the file alone can show (JSON syntax, unknown
 * fields, wrong types, out-of-range values, duplicate ids, bad SPEC syntax, bad recipes) is collected and thrown
 * at once as a `ConfigError` naming each field's JSON path. Nothing here opens data or models: `checkAuditInputs`
 * does that next, still before any training.
 */
export async function loadAuditConfig(configPath: string): Promise<ResolvedAuditConfig> {
  const absolute = resolve(configPath);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AuditError(code === 'ENOENT' ? 'no such audit config file' : `cannot read the audit config (${(e as Error).message})`, { file: absolute, code: code === 'ENOENT' ? 'ENOENT' : 'BAD_CONFIG' });
  }
  return resolveAuditConfig(parseConfigJson(text, absolute), absolute);
}

/** JSON.parse with the line and column of a syntax error. */
export function parseConfigJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    const message = (e as Error).message;
    const position = /position (\d+)/.exec(message);
    let where = '';
    if (position) {
      const before = text.slice(0, Number(position[1]));
      const line = before.split('\n').length;
      where = ` at line ${line}, column ${Number(position[1]) - before.lastIndexOf('\n')}`;
    }
    throw new AuditError(`not valid JSON${where}: ${message.replace(/ in JSON at position \d+.*$/, '')}`, { file, code: 'BAD_CONFIG' });
  }
}

/** Validates a parsed config against the schema and the rules the schema cannot say, and resolves it. */
export function resolveAuditConfig(value: unknown, configPath: string): ResolvedAuditConfig {
  const problems = new ProblemList();
  for (const p of schemaProblems(value)) problems.add(p.path, p.message);
  problems.throwIfAny(configPath);
  const config = value as AuditConfig;
  const configDir = dirname(configPath);
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(configDir, p));

  const dataRef = (ref: DataRefConfig, where: string): ResolvedDataRef | null => {
    const written = typeof ref === 'string' ? ref : ref.spec;
    try {
      const spec = parseDataSpec(written, { baseDir: configDir });
      const selection = typeof ref === 'string' ? {} : { ...(ref.classes !== undefined ? { classes: ref.classes } : {}), ...(ref.perClass !== undefined ? { perClass: ref.perClass } : {}), ...(ref.perClassSeed !== undefined ? { perClassSeed: ref.perClassSeed } : {}), ...(ref.split !== undefined ? { split: ref.split } : {}) };
      return { where, written, spec, selection };
    } catch (e) {
      problems.add(typeof ref === 'string' ? where : `${where}.spec`, messageWithoutFile(e));
      return null;
    }
  };
  const train = dataRef(config.target.train, 'target.train');
  const test = config.target.test !== undefined ? dataRef(config.target.test, 'target.test') : null;
  const validation = config.target.validation !== undefined ? dataRef(config.target.validation, 'target.validation') : null;

  const recipe = (overrides: RecipeConfig | undefined, where: string) => {
    try {
      return resolveRecipe(toRecipeOverrides(overrides ?? {}), where);
    } catch (e) {
      const message = (e as Error).message;
      const field = /^(\S+?) /.exec(message)?.[1];
      problems.add(field ?? where, field ? message.slice(field.length + 1) : message);
      return null;
    }
  };
  let children: ResolvedChildren | null = null;
  if (config.children) {
    const c = config.children;
    const childRecipe = recipe(c.recipe, 'children.recipe');
    const scratchRecipe = c.scratchRecipe !== undefined ? recipe({ ...(c.recipe ?? {}), ...c.scratchRecipe }, 'children.scratchRecipe') : childRecipe;
    const depths = c.freezeDepths as FreezeSpec[];
    if (depths.includes('full') && depths.includes(0)) problems.add('children.freezeDepths', '"full" and 0 are the same freeze depth; give it once');
    if (childRecipe && scratchRecipe) {
      children = {
        freezeDepths: depths, seeds: c.seeds ?? [0], scratch: c.scratch ?? true, bnPolicy: c.bnPolicy ?? 'frozen', keepHead: c.keepHead ?? false,
        recipe: childRecipe, scratchRecipe, cachePrefix: c.cachePrefix ?? true,
      };
    }
  }

  const existingChildren: ResolvedExistingModel[] = (config.existingChildren ?? []).map((m, i) => ({
    where: `existingChildren[${i}]`, id: m.id ?? null, checkpoint: abs(m.checkpoint), role: m.role ?? 'child',
    freezeDepth: m.freezeDepth ?? null, seed: m.seed ?? null, label: m.label ?? null,
  }));
  const ids = new Map<string, number>();
  existingChildren.forEach((m, i) => {
    if (m.id === null) return;
    if (ids.has(m.id)) problems.add(`existingChildren[${i}].id`, `"${m.id}" is already the id of existingChildren[${ids.get(m.id)}]`);
    ids.set(m.id, i);
  });
  if (!config.children && existingChildren.length === 0) {
    problems.add('children', 'nothing to audit: give `children` to derive (freeze depths and seeds) and/or `existingChildren`');
  }

  const probes = resolveProbePaths(config.probes, abs);
  problems.throwIfAny(configPath);
  const name = config.name ?? runNameOf(configPath);
  return {
    configPath, configDir, written: config, name, description: config.description ?? null,
    foundation: abs(typeof config.foundation === 'string' ? config.foundation : config.foundation.checkpoint),
    foundationImport: typeof config.foundation === 'string' ? {} : foundationImportOptions(config.foundation),
    target: { train: train!, test, validation, testFraction: config.target.testFraction ?? DEFAULT_TEST_FRACTION },
    classMap: config.classMap ?? null,
    children, existingChildren, probes,
    outputRoot: abs(config.output ?? DEFAULT_OUTPUT),
    compute: { backend: config.compute?.backend ?? null, threads: config.compute?.threads ?? null },
  };
}

/** `fashion.biasaudit.json` -> `fashion`. */
export function runNameOf(configPath: string): string {
  const base = basename(configPath);
  const stem = base.endsWith(CONFIG_SUFFIX) ? base.slice(0, -CONFIG_SUFFIX.length) : base.replace(/\.json$/i, '');
  return stem.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'audit';
}

function toRecipeOverrides(r: RecipeConfig): Parameters<typeof resolveRecipe>[0] {
  const { augment, ...rest } = r;
  return {
    ...rest,
    ...(augment === undefined ? {} : { augment: augment === null ? null : { randomCropPadding: augment.randomCropPadding ?? 0, horizontalFlip: augment.horizontalFlip ?? false } }),
  };
}

/** The importer's options from the config's foundation object (schema-checked already). */
function foundationImportOptions(f: FoundationCheckpointConfig): ImportOptions {
  const n = f.normalization;
  return {
    ...(f.inputShape ? { inputShape: f.inputShape } : {}),
    ...(n === undefined ? {} : { normalization: typeof n === 'string' ? n : { scale: n.scale ?? 1 / 255, mean: n.mean, std: n.std } }),
    ...(f.channelOrder ? { channelOrder: f.channelOrder } : {}),
    ...(f.classNames ? { classNames: f.classNames } : {}),
  };
}
