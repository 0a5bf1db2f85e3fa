import type { Dataset } from '../../engine/data/dataset';
import { openDataset } from '../../engine/data/open-dataset';
import { analyzeBlocks } from '../../engine/model/blocks';
import { resolveFreezeDepth } from '../../engine/model/child';
import { openModel } from '../../engine/import/open-model';
import { join } from 'node:path';
import type { LoadedModel } from '../../engine/model/meta';
import { modelHash } from '../../engine/model/model-hash';
import { resolveModelJsonPath } from '../../engine/model/model-json';
import { messageWithoutFile, type ProblemList } from '../config/config-error';
import type { ResolvedAuditConfig, ResolvedDataRef } from '../config/resolved-config';
import { holdOutTestSet } from '../data/subset-dataset';
import type { SourceModel } from '../lineage/model-plan';
import type { AuditInputs } from '../probes/probe-adapter';

/** An existing checkpoint, loaded and checked. */
export interface LoadedExistingModel {
  where: string;
  id: string;
  role: 'child' | 'scratch';
  label: string;
  loaded: LoadedModel;
  hash: string;
  freezeDepth: number | null;
  seed: number | null;
  checkpoint: string;
}

/** Seed of the held-out test split (fixed: the test set must not change with the children's seeds). */
export const TEST_SPLIT_SEED = 0;

/** The SPEC as the config wrote it, with the structured selection appended (results.json and the report show it). */
export function writtenSpec(ref: ResolvedDataRef): string {
  const selection = Object.entries(ref.selection).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`);
  return selection.length > 0 ? `${ref.written}${ref.written.includes('?') ? '&' : '?'}${selection.join('&')}` : ref.written;
}

/**
 * Opens every dataset and loads the foundation and the existing children, recording each problem under the config
 * path it comes from. Returns null when something essential is missing (the problems say what). Nothing is trained.
 */
export async function openAuditInputs(
  config: ResolvedAuditConfig,
  problems: ProblemList,
  log: (line: string) => void,
): Promise<{ inputs: AuditInputs; existing: LoadedExistingModel[]; blocks: string[]; freezeDepths: number[] } | null> {
  const open = async (ref: ResolvedDataRef | null): Promise<Dataset | null> => {
    if (ref === null) return null;
    try {
      return await openDataset(ref.spec, { ...ref.selection });
    } catch (e) {
      problems.add(ref.where, e instanceof Error ? e.message : String(e));
      return null;
    }
  };
  const [trainAll, testGiven, validation] = [await open(config.target.train), await open(config.target.test), await open(config.target.validation)];

  let foundation: SourceModel | null = null;
  try {
    // A foreign checkpoint (.pt, .safetensors, .onnx) is imported once into the engine's format and cached.
    const opened = await openModel(config.foundation, { importOptions: config.foundationImport });
    const { imported, ...loaded } = opened;
    if (imported) log(`${imported.fromCache ? 'using the cached import of' : 'imported'} ${config.foundation} (${imported.report.format} ${imported.report.architecture}, input ${imported.report.inputShape.join('x')}, normalisation ${imported.report.normalizationSource})`);
    const checkpoint = imported ? join(imported.dir, 'model.json') : await resolveModelJsonPath(config.foundation);
    foundation = { id: 'foundation', loaded, hash: modelHash(loaded.model), checkpoint };
  } catch (e) {
    problems.add('foundation', e instanceof Error ? e.message : String(e));
  }

  let train = trainAll;
  let test = testGiven;
  if (trainAll !== null && config.target.test === null) {
    const split = holdOutTestSet(trainAll, config.target.testFraction, TEST_SPLIT_SEED);
    train = split.train;
    test = split.test;
    log(`no target.test given: holding out ${test.samples.length} of ${trainAll.samples.length} training images (stratified, ${config.target.testFraction * 100}%) as the test set`);
  }
  if (train && test && !sameClasses(train, test)) problems.add('target.test', `its classes (${describeClasses(test)}) are not the training data's (${describeClasses(train)})`);
  if (train && validation && !sameClasses(train, validation)) problems.add('target.validation', `its classes (${describeClasses(validation)}) are not the training data's (${describeClasses(train)})`);
  if (train && train.classNames.length < 2) problems.add('target.train', `a classifier needs at least 2 classes; the data has ${train.classNames.length}`);

  let blocks: string[] = [];
  const freezeDepths: number[] = [];
  if (foundation) {
    try {
      blocks = analyzeBlocks(foundation.loaded.model, foundation.loaded.meta).blocks.map((b) => b.name);
      for (const [i, spec] of (config.children?.freezeDepths ?? []).entries()) {
        try {
          const depth = resolveFreezeDepth(spec, blocks.map((name) => ({ name, layers: [] })));
          if (freezeDepths.includes(depth)) problems.add(`children.freezeDepths[${i}]`, `${JSON.stringify(spec)} is freeze depth ${depth} again (this model has ${blocks.length} blocks)`);
          freezeDepths.push(depth);
        } catch (e) {
          problems.add(`children.freezeDepths[${i}]`, messageWithoutFile(e));
        }
      }
    } catch (e) {
      problems.add('foundation', messageWithoutFile(e));
    }
    if (train && config.children?.keepHead && foundation.loaded.meta.classNames.length !== train.classNames.length) {
      problems.add('children.keepHead', `the foundation has ${foundation.loaded.meta.classNames.length} classes and the target data ${train.classNames.length}; keepHead needs the same count`);
    }
    if (train) {
      const [h, w, c] = foundation.loaded.meta.inputShape;
      // Decode one image at the model's input size now, so unreadable data fails before any training.
      for (const [where, data] of [['target.train', train], ['target.test', test], ['target.validation', validation]] as const) {
        if (data === null || data.samples.length === 0) continue;
        try {
          await data.loadImage(0, { height: h, width: w, channels: c });
        } catch (e) {
          problems.add(where, `cannot load an image at the foundation's ${h}x${w}x${c} input: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
  }

  const existing: LoadedExistingModel[] = [];
  for (const m of config.existingChildren) {
    try {
      const { imported, ...loaded } = await openModel(m.checkpoint);
      const lineage = loaded.meta.lineage;
      const freezeDepth = m.role === 'scratch' ? null : (m.freezeDepth ?? lineage?.freezeDepth ?? 0);
      const seed = m.seed ?? lineage?.seed ?? null;
      if (train && loaded.meta.classNames.length !== train.classNames.length) {
        problems.add(`${m.where}.checkpoint`, `the model has ${loaded.meta.classNames.length} classes, the target data ${train.classNames.length} (${describeClasses(train)})`);
      }
      if (foundation && !sameShape(loaded.meta.inputShape, foundation.loaded.meta.inputShape)) {
        problems.add(`${m.where}.checkpoint`, `input ${loaded.meta.inputShape.join('x')} differs from the foundation's ${foundation.loaded.meta.inputShape.join('x')}`);
      }
      const id = m.id ?? (m.role === 'scratch' ? `scratch-existing-s${seed ?? 'x'}` : `child-existing-k${freezeDepth}-s${seed ?? 'x'}`);
      const label = m.label ?? `${m.role === 'scratch' ? 'scratch' : `child K=${freezeDepth}`}${seed !== null ? ` seed ${seed}` : ''} (existing)`;
      existing.push({ where: m.where, id, role: m.role, label, loaded, hash: modelHash(loaded.model), freezeDepth, seed, checkpoint: imported ? join(imported.dir, 'model.json') : await resolveModelJsonPath(m.checkpoint) });
    } catch (e) {
      problems.add(`${m.where}.checkpoint`, e instanceof Error ? e.message : String(e));
    }
  }
  const ids = new Set<string>();
  for (const m of existing) {
    if (ids.has(m.id)) problems.add(`${m.where}.id`, `two existing models get the id "${m.id}"; give each an id`);
    ids.add(m.id);
  }

  if (!foundation || !train || !test) {
    foundation?.loaded.model.dispose();
    for (const m of existing) m.loaded.model.dispose();
    return null;
  }
  const [trainHash, testHash, validationHash] = await Promise.all([train.contentHash(), test.contentHash(), validation?.contentHash() ?? Promise.resolve(null)]);
  const inputs: AuditInputs = {
    config, foundation, train, test, validation,
    hashes: { train: trainHash, test: testHash, validation: validationHash },
    trainSpec: writtenSpec(config.target.train),
    testSpec: config.target.test ? writtenSpec(config.target.test) : `${writtenSpec(config.target.train)} (held-out ${config.target.testFraction * 100}%)`,
    log,
  };
  return { inputs, existing, blocks, freezeDepths };
}

function sameClasses(a: Dataset, b: Dataset): boolean {
  return a.classNames.length === b.classNames.length && a.classNames.every((n, i) => n === b.classNames[i]);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function describeClasses(d: Dataset): string {
  const names = d.classNames;
  return `${names.length} classes: ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', ...' : ''}`;
}
