import { isAbsolute, relative, sep } from 'node:path';
import type { EpochRecord } from '../../engine/train/trainer';
import {
  RESULTS_SCHEMA_VERSION,
  type AuditResults,
  type HeadlineFigure,
  type Lineage,
  type ModelEntry,
  type ProbeResults,
  type TrainingEpoch,
  type TrainingHistory,
} from '../../protocol/results';
import { transferKindOf, type PlannedModel } from '../lineage/model-plan';
import type { TrainStepResult } from '../lineage/train-model';
import type { AuditInputs } from '../probes/probe-adapter';
import type { PlannedSource } from '../run/plan';

/** A path for results.json: relative to the run folder with `/` when inside it, absolute otherwise. */
export function runRelative(runDir: string, path: string): string {
  const rel = relative(runDir, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return path;
  return rel.split(sep).join('/');
}

/** results.json's epoch shape: 1-based epochs. */
export function trainingEpoch(record: EpochRecord): TrainingEpoch {
  return {
    epoch: record.epoch + 1, loss: record.trainLoss, accuracy: record.trainAccuracy, valLoss: record.valLoss, valAccuracy: record.valAccuracy, imagesPerSecond: record.imagesPerSecond,
  };
}

export interface ResultsAssembly {
  runId: string;
  runDir: string;
  startedAt: string;
  configPath: string;
  tool: { name: string; version: string };
  computeBackend: AuditResults['computeBackend'];
  inputs: AuditInputs;
  blocks: string[];
  freezeDepths: number[];
  seeds: number[];
  models: PlannedModel[];
  sources: PlannedSource[];
  /** Model id -> its training step's result (trained models, sources). */
  training: ReadonlyMap<string, TrainStepResult>;
  /** Model id -> whether its training was reused from an earlier run. */
  trainingReused: ReadonlyMap<string, boolean>;
  /** Model id -> content hash (existing models). */
  hashes: ReadonlyMap<string, string>;
  probes: ProbeResults;
  headline: HeadlineFigure[];
  csv: string[];
  report: string | null;
}

/** The whole results.json (src/protocol/results.ts, schema version 1). */
export function buildResults(a: ResultsAssembly): AuditResults {
  const classNames = [...a.inputs.train.classNames];
  const blockCount = a.blocks.length;
  const entry = (m: PlannedModel): ModelEntry => {
    const trained = a.training.get(m.id);
    return {
      id: m.id,
      role: m.role,
      label: m.label,
      freezeDepth: m.role === 'child' ? m.freezeDepth : null,
      transfer: m.role === 'child' ? transferKindOf(m.freezeDepth, blockCount) : null,
      seed: m.seed,
      checkpoint: trained ? trained.checkpoint : runRelative(a.runDir, m.existingCheckpoint ?? ''),
      contentHash: trained?.modelHash ?? a.hashes.get(m.id) ?? '',
      classNames,
      sourceId: m.sourceId,
      batchNormPolicy: m.role === 'child' ? (m.bnPolicy ?? 'frozen') === 'train' ? 'update' : 'frozen' : null,
      frozenBlocksVerified: m.role !== 'child' ? null : trained ? trained.verifiedFrozenBlocks.length === (m.freezeDepth ?? 0) : null,
      trainingData: m.variant?.id ?? null,
    };
  };
  const foundation = a.inputs.foundation;
  const foundationEntry: ModelEntry = {
    id: 'foundation', role: 'foundation', label: 'foundation', freezeDepth: null, transfer: null, seed: null,
    checkpoint: runRelative(a.runDir, foundation.checkpoint), contentHash: foundation.hash, classNames: [...foundation.loaded.meta.classNames],
    sourceId: null, batchNormPolicy: null, frozenBlocksVerified: null, trainingData: null,
  };
  const sourceEntries: ModelEntry[] = a.sources.map((s) => {
    const trained = a.training.get(s.modelId);
    return {
      id: s.modelId, role: 'foundation', label: s.label, freezeDepth: null, transfer: null, seed: s.pretrain?.seed ?? null,
      checkpoint: trained ? trained.checkpoint : runRelative(a.runDir, s.checkpoint ?? ''), contentHash: trained?.modelHash ?? a.hashes.get(s.modelId) ?? '',
      classNames: s.pretrain ? [...s.pretrain.data.classNames] : [], sourceId: s.id, batchNormPolicy: null, frozenBlocksVerified: null, trainingData: null,
    };
  });
  const lineage: Lineage = {
    foundation: foundationEntry,
    children: a.models.filter((m) => m.role === 'child').map(entry),
    scratch: a.models.filter((m) => m.role === 'scratch').map(entry),
    blocks: [...a.blocks],
    freezeDepths: [...a.freezeDepths].sort((x, y) => x - y),
    seeds: [...a.seeds],
    ...(sourceEntries.length > 0 ? { sources: sourceEntries } : {}),
  };
  const training: TrainingHistory[] = [...a.training.entries()].map(([modelId, t]) => ({
    modelId, epochs: t.history.map(trainingEpoch), wallSeconds: t.trainedSeconds, reused: a.trainingReused.get(modelId) ?? false,
  }));
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: a.runId,
    startedAt: a.startedAt,
    finishedAt: new Date().toISOString(),
    configPath: a.configPath,
    tool: a.tool,
    computeBackend: a.computeBackend,
    targetDataset: {
      spec: a.inputs.trainSpec, classNames, trainCounts: [...a.inputs.train.classCounts], testCount: a.inputs.test.samples.length, contentHash: a.inputs.hashes.train,
    },
    lineage,
    training,
    probes: a.probes,
    headline: a.headline,
    files: { report: a.report, csv: a.csv },
  };
}
