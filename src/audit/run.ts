import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { currentBackendInfo, initBackend } from '../engine/backend/select';
import { loadModel } from '../engine/model/load';
import type { LoadedModel } from '../engine/model/meta';
import { modelHash } from '../engine/model/model-hash';
import type { TrainProgress } from '../engine/train/trainer';
import { writeFileAtomic, writeJsonAtomic } from '../engine/util/atomic';
import { AuditError, CancelledError } from '../engine/util/errors';
import { hashJson } from '../engine/util/hash';
import type { AuditModelRef } from '../probes/context';
import { RESULTS_FILE } from '../protocol/runFiles';
import type { HeadlineFigure, ProbeResults } from '../protocol/results';
import { ProblemList } from './config/config-error';
import { loadAuditConfig } from './config/resolve-config';
import { probeContext, RunCache } from './context/run-cache';
import type { SourceModel } from './lineage/model-plan';
import { pretrainSource, type TrainStepResult, trainPlannedModel, WORK_DIR } from './lineage/train-model';
import { prepareProbes } from './probes/prepare-probes';
import type { PreparedProbe, ProbeModel, StepRunContext } from './probes/probe-adapter';
import { writeReport, REPORT_FILE } from './report/write-report';
import { buildResults } from './results/build-results';
import { assertValidResults } from './results/check-results';
import { writeCsvExports } from './results/csv-export';
import { configHash, type ManifestStep, readManifest, type RunManifest, writeManifest } from './run-folder/manifest';
import { assertNotRunning } from './run-folder/run-lock';
import { StatusWriter } from './run-folder/status-writer';
import { runtimeVersions, toolInfo } from './run-folder/tool-version';
import { openAuditInputs } from './run/open-inputs';
import { planRun, type PlannedStep } from './run/plan';
import type { AuditProgress, RunAuditOptions, RunAuditOutcome, StepTiming } from './run/run-types';
import { StepStore } from './steps/step-store';

export type { AuditProgress, RunAuditOptions, RunAuditOutcome } from './run/run-types';

/**
 * Runs (or resumes) the audit a `*.biasaudit.json` config describes and writes its run folder: the whole config is
 * checked first (every problem at once, with JSON paths, before any training), then every child and scratch
 * baseline is trained, every probe is run on the foundation, each child and scratch, and manifest.json,
 * results.json, CSV exports and report.html are written. Steps are keyed by content hashes: finished steps of an
 * earlier (killed, cancelled or changed) run in the same folder are reused, and training resumes from its last
 * epoch checkpoint. `status.json` follows every step.
 *
 * @example
 * const { runDir, results } = await runAudit('fashion.biasaudit.json', { signal, onProgress: (p) => ..., onLog: (level, m) => ... });
 * @throws ConfigError (an AuditError) listing every config problem; AuditError for bad input found while running;
 *   CancelledError when `signal` fired (the run folder stays resumable).
 */
export async function runAudit(configPath: string, options: RunAuditOptions = {}): Promise<RunAuditOutcome> {
  const wallStart = Date.now();
  const log = (line: string, level: 'debug' | 'info' | 'warn' | 'error' = 'info'): void => options.onLog?.(level, line);
  let config = await loadAuditConfig(configPath);
  if (options.configure) config = options.configure(config);

  const backend = currentBackendInfo() ?? (await initBackend({
    backend: options.computeBackend ?? options.backend ?? config.compute.backend ?? 'auto',
    ...((options.threads ?? config.compute.threads) !== null && (options.threads ?? config.compute.threads) !== undefined ? { threads: (options.threads ?? config.compute.threads) as number } : {}),
    log: (line) => log(line),
  }));

  const problems = new ProblemList();
  const opened = await openAuditInputs(config, problems, (line) => log(line));
  const probes = opened ? await prepareProbes(opened.inputs, problems) : [];
  const loadedExtras: LoadedModel[] = [...(opened?.existing.map((m) => m.loaded) ?? []), ...probes.flatMap((p) => (p.training?.sources ?? []).flatMap((s) => (s.loaded ? [s.loaded] : [])))];
  let disposed = false;
  const disposeAll = (): void => {
    if (disposed) return;
    disposed = true;
    opened?.inputs.foundation.loaded.model.dispose();
    for (const m of loadedExtras) m.model.dispose();
  };
  if (problems.size > 0 || opened === null) {
    disposeAll();
    problems.throwIfAny(config.configPath);
    throw new AuditError('the audit inputs could not be opened', { file: config.configPath, code: 'BAD_CONFIG' });
  }
  const { inputs, existing, blocks, freezeDepths } = opened;
  const tool = toolInfo();
  const prepareSeconds = (Date.now() - wallStart) / 1000;

  const outRoot = resolve(options.outDir ?? options.out ?? config.outputRoot);
  const runDir = join(outRoot, config.name);
  let status: StatusWriter | undefined;
  try {
    await assertNotRunning(runDir);
    const previous = await readManifest(runDir);
    const startedAt = new Date().toISOString();
    const runId = previous?.runId ?? `${config.name}-${startedAt.replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}`;
    const plan = planRun({ config, inputs, existing, blocks, probes, toolVersion: tool.version });
    status = new StatusWriter(runDir, { runId, configPath: config.configPath, startedAt });
    await status.setSteps(plan.steps.map((s) => ({ id: s.key, label: s.label })));
    log(`run folder ${runDir}: ${plan.steps.length} steps (${plan.models.length} models to train or load, ${probes.length} probes)`);
    for (const [alias, of] of plan.aliases) log(`${alias} is ${of} (same parent, data, freeze depth, seed and recipe): trained once`);

    const manifestSteps: ManifestStep[] = plan.steps.map((s) => ({ key: s.key, kind: s.kind, label: s.label, state: 'pending', seconds: null }));
    const seeds = config.children?.seeds ?? [...new Set(existing.map((m) => m.seed).filter((s): s is number => s !== null))];
    const manifest: RunManifest = {
      format: 'bias-audit-manifest/1', runId, name: config.name, description: config.description, createdAt: previous?.createdAt ?? startedAt, updatedAt: startedAt,
      attempts: (previous?.attempts ?? 0) + 1, configPath: config.configPath, configHash: configHash(config.written), config: config.written, versions: runtimeVersions(),
      computeBackend: { name: backend.name, threads: backend.threads, simd: backend.simd, detail: backend.detail }, seeds,
      contentHashes: {
        datasets: { ...inputs.hashes },
        models: { foundation: inputs.foundation.hash, ...Object.fromEntries(existing.map((m) => [m.id, m.hash])) },
        recipes: config.children ? { children: hashJson(config.children.recipe), scratch: hashJson(config.children.scratchRecipe) } : {},
      },
      data: { train: inputs.trainSpec, test: inputs.testSpec, validation: config.target.validation ? config.target.validation.written : null },
      steps: manifestSteps, cache: null,
    };
    await writeManifest(runDir, manifest);

    const store = new StepStore(runDir);
    const cache = new RunCache();
    const sources = new Map<string, SourceModel>([['foundation', inputs.foundation]]);
    for (const probe of probes) for (const s of probe.training?.sources ?? []) if (s.loaded && s.checkpointHash) sources.set(s.id, { id: s.id, loaded: s.loaded, hash: s.checkpointHash, checkpoint: s.checkpoint ?? '' });
    const training = new Map<string, TrainStepResult>();
    const trainingReused = new Map<string, boolean>();
    const hashes = new Map<string, string>([['foundation', inputs.foundation.hash], ...existing.map((m): [string, string] => [m.id, m.hash])]);
    for (const s of plan.sources) if (!s.pretrain) hashes.set(s.modelId, sources.get(s.id)?.hash ?? '');
    const perModel = new Map<PreparedProbe, Map<string, unknown>>(probes.map((p) => [p, new Map()]));
    const timings: StepTiming[] = [];
    let current: { id: string; ref: AuditModelRef; owned: boolean } | null = null;
    const stepsLeft = new Map<PreparedProbe, number>();
    for (const step of plan.steps) if (step.kind === 'setup' || step.kind === 'probe') stepsLeft.set(step.probe, (stepsLeft.get(step.probe) ?? 0) + 1);
    const aggregated = new Map<PreparedProbe, { section: NonNullable<ProbeResults[keyof ProbeResults]>; headline: HeadlineFigure[] }>();
    const aggregate = async (probe: PreparedProbe): Promise<void> => {
      const models = probe.selectModels(plan.probeModels);
      const section = await probe.aggregate(perModel.get(probe)!, models, runDir);
      aggregated.set(probe, { section, headline: probe.headline(section, models) });
    };

    const refOf = (model: ProbeModel, loaded: LoadedModel, hash: string): AuditModelRef => ({
      id: model.id, role: model.role, loaded, hash, freezeDepth: model.freezeDepth, seed: model.seed, sourceId: model.sourceId,
    });
    const existingById = new Map(existing.map((m) => [m.id, m]));
    /** The probed model, loaded once for all its probe steps (the steps are ordered model by model). */
    const acquire = async (model: ProbeModel): Promise<AuditModelRef> => {
      if (current?.id === model.id) return current.ref;
      release();
      if (model.id === 'foundation') current = { id: model.id, ref: refOf(model, inputs.foundation.loaded, inputs.foundation.hash), owned: false };
      else if (model.sourceId !== null && model.role === 'foundation') {
        const source = sources.get(model.sourceId);
        if (!source) throw new Error(`source ${model.sourceId} is not loaded`);
        current = { id: model.id, ref: refOf(model, source.loaded, source.hash), owned: false };
      } else if (existingById.has(model.id)) {
        const m = existingById.get(model.id)!;
        current = { id: model.id, ref: refOf(model, m.loaded, m.hash), owned: false };
      } else {
        const trained = training.get(model.id);
        if (!trained) throw new Error(`model ${model.id} has not been trained`);
        const loaded = await loadModel(join(runDir, trained.checkpoint));
        current = { id: model.id, ref: refOf(model, loaded, trained.modelHash), owned: true };
      }
      return current.ref;
    };
    const release = (): void => {
      if (current === null) return;
      cache.release(current.ref.hash);
      if (current.owned) current.ref.loaded.model.dispose();
      current = null;
    };
    const hashOf = (model: ProbeModel): string => training.get(model.id)?.modelHash ?? hashes.get(model.id) ?? '';

    try {
      for (const [index, step] of plan.steps.entries()) {
        const progressBase: AuditProgress = {
          runDir, stepIndex: index, stepsTotal: plan.steps.length, stepLabel: step.label, phase: 'starting', epoch: null, epochs: null, batch: null, batches: null,
          loss: null, accuracy: null, imagesPerSecond: null, etaSeconds: null,
        };
        const emit = (patch: Partial<AuditProgress>): void => options.onProgress?.({ ...progressBase, ...patch });
        const started = Date.now();
        const record = await store.read<unknown>(step.key);
        const reusable = record !== null && (step.kind !== 'probe' || (record.inputs as { modelHash?: string }).modelHash === hashOf(step.model));
        const stepLog = (line: string): void => log(`[${step.label}] ${line}`);
        if (reusable) {
          emit({ phase: 'reused' });
          if (step.kind === 'pretrain') await loadReusedSource(step.source.id, record.result as TrainStepResult);
          acceptResult(step, record.result, true);
          log(`reused: ${step.label}`);
        } else {
          await status.setStep(step.key, 'running');
          emit({ phase: step.kind === 'train' || step.kind === 'pretrain' ? 'training' : 'probing' });
          log(`running: ${step.label}`);
          const { result, files, inputs: recordInputs } = await runStep(step, stepLog, emit);
          await store.write({
            format: 'bias-audit-step-record/1', key: step.key, kind: step.kind, label: step.label, inputs: recordInputs,
            finishedAt: new Date().toISOString(), seconds: (Date.now() - started) / 1000, files, result,
          });
          acceptResult(step, result, false);
        }
        const seconds = (Date.now() - started) / 1000;
        await status.setStep(step.key, reusable ? 'reused' : 'done', reusable ? record.seconds : seconds);
        manifestSteps[index] = { ...manifestSteps[index], state: reusable ? 'reused' : 'computed', seconds: reusable ? record.seconds : seconds };
        timings.push({ key: step.key, kind: step.kind, label: step.label, probe: step.kind === 'setup' || step.kind === 'probe' ? step.probe.name : null, seconds: reusable ? 0 : seconds, reused: reusable });
        if (step.kind === 'setup' || step.kind === 'probe') {
          // A probe whose last step just finished gets its section now: its headline shows in status.json while the run goes on.
          const left = (stepsLeft.get(step.probe) ?? 1) - 1;
          stepsLeft.set(step.probe, left);
          if (left === 0) {
            await aggregate(step.probe);
            await status.setHeadline(probes.flatMap((p) => aggregated.get(p)?.headline ?? []));
          }
        }
      }
    } finally {
      release();
    }

    async function loadReusedSource(sourceId: string, trained: TrainStepResult): Promise<void> {
      const loaded = await loadModel(join(runDir, trained.checkpoint));
      loadedExtras.push(loaded);
      sources.set(sourceId, { id: sourceId, loaded, hash: trained.modelHash, checkpoint: join(runDir, trained.checkpoint) });
    }

    function acceptResult(step: PlannedStep, result: unknown, reused: boolean): void {
      switch (step.kind) {
        case 'pretrain':
        case 'train': {
          const t = result as TrainStepResult;
          training.set(t.modelId, t);
          trainingReused.set(t.modelId, reused);
          for (const [alias, of] of plan.aliases) {
            if (of !== t.modelId) continue;
            training.set(alias, { ...t, modelId: alias });
            trainingReused.set(alias, reused);
          }
          break;
        }
        case 'setup':
          step.setup.accept(result);
          break;
        case 'probe':
          perModel.get(step.probe)!.set(step.model.id, result);
          break;
      }
    }

    async function runStep(step: PlannedStep, stepLog: (line: string) => void, emit: (patch: Partial<AuditProgress>) => void): Promise<{ result: unknown; files: string[]; inputs: unknown }> {
      const trainingCallbacks = (modelId: string, label: string) => ({
        signal: options.signal,
        log: stepLog,
        onCacheProgress: (done: number, total: number) => emit({ phase: 'caching frozen blocks', batch: done, batches: total }),
        onProgress: (p: TrainProgress) => {
          emit({ phase: 'training', epoch: p.epoch + 1, epochs: p.epochs, batch: p.batch, batches: p.batches, loss: p.loss, accuracy: p.accuracy, imagesPerSecond: p.imagesPerSecond, etaSeconds: p.etaSeconds });
          if (p.phase === 'epoch' && p.record) {
            const r = p.record;
            options.onEpoch?.(modelId, label, { epoch: r.epoch + 1, loss: r.trainLoss, accuracy: r.trainAccuracy, valLoss: r.valLoss, valAccuracy: r.valAccuracy, imagesPerSecond: r.imagesPerSecond });
          }
        },
      });
      const stepContext = (): StepRunContext => ({
        runDir,
        probe: probeContext(cache, { signal: options.signal, log: stepLog, progress: (done, total, detail) => emit({ phase: detail ? `probing: ${detail}` : 'probing', batch: done, batches: total }) }),
        signal: options.signal,
        log: stepLog,
        writeFile: (relativePath, data) => writeFileAtomic(join(runDir, ...relativePath.split('/')), data),
      });
      switch (step.kind) {
        case 'pretrain': {
          const pretrain = step.source.pretrain!;
          const { loaded, result } = await pretrainSource(pretrain, { runDir, foundation: inputs.foundation, stepKey: step.key, ...trainingCallbacks(step.source.modelId, step.source.label) });
          sources.set(step.source.id, { id: step.source.id, loaded, hash: result.modelHash, checkpoint: join(runDir, result.checkpoint) });
          loadedExtras.push(loaded);
          return { result, files: [result.checkpoint], inputs: { source: step.source.id, modelHash: result.modelHash } };
        }
        case 'train': {
          const parent = step.model.parentId === null ? null : sources.get(step.model.parentId) ?? null;
          const { loaded, result } = await trainPlannedModel(step.model, {
            runDir, foundation: inputs.foundation, parent, train: inputs.train, validation: inputs.validation, stepKey: step.key, ...trainingCallbacks(step.model.id, step.model.label),
          });
          loaded.model.dispose();
          return { result, files: [result.checkpoint], inputs: { model: step.model.id, modelHash: result.modelHash } };
        }
        case 'setup': {
          const foundationRef = refOf({ id: 'foundation', role: 'foundation', label: 'foundation', freezeDepth: null, seed: null, sourceId: null, variantId: null, identity: inputs.foundation.hash }, inputs.foundation.loaded, inputs.foundation.hash);
          const out = await step.setup.run(stepContext(), foundationRef);
          return { ...out, inputs: step.inputs };
        }
        case 'probe': {
          const ref = await acquire(step.model);
          const out = await step.probe.runModelStep(stepContext(), ref, step.model);
          return { ...out, inputs: { model: step.model.id, modelHash: ref.hash } };
        }
      }
    }

    const finishStart = Date.now();
    for (const probe of probes) if (!aggregated.has(probe)) await aggregate(probe);
    const sections: ProbeResults = {};
    const headline: HeadlineFigure[] = [];
    for (const probe of probes) {
      (sections as Record<string, unknown>)[probe.name] = aggregated.get(probe)!.section;
      headline.push(...aggregated.get(probe)!.headline);
    }
    await status.setHeadline(headline);
    for (const [id, t] of training) manifest.contentHashes.models[id] = t.modelHash;
    manifest.cache = { ...cache.stats };

    let results = buildResults({
      runId, runDir, startedAt, configPath: config.configPath, tool: { name: tool.name, version: tool.version },
      computeBackend: manifest.computeBackend, inputs, blocks, freezeDepths, seeds, models: plan.models, sources: plan.sources, training, trainingReused, hashes,
      probes: sections, headline, csv: [], report: REPORT_FILE,
    });
    const csv = await writeCsvExports(runDir, results);
    results = { ...results, files: { report: REPORT_FILE, csv } };
    assertValidResults(results, join(runDir, RESULTS_FILE));
    await writeJsonAtomic(join(runDir, RESULTS_FILE), results);
    const reportPath = await writeReport(runDir, results);
    await writeManifest(runDir, manifest);
    await store.prune(new Set(plan.steps.map((s) => s.key)));
    await rm(join(runDir, WORK_DIR), { recursive: true, force: true });
    await status.finish('done');
    const reused = timings.filter((t) => t.reused).length;
    log(`done: ${timings.length - reused} steps computed, ${reused} reused; report ${reportPath}`);
    disposeAll();
    return {
      runDir, results, reportPath, stepsComputed: timings.length - reused, stepsReused: reused, timings,
      overheadSeconds: { prepare: prepareSeconds, finish: (Date.now() - finishStart) / 1000 }, wallSeconds: (Date.now() - wallStart) / 1000,
    };
  } catch (e) {
    disposeAll();
    if (status) {
      const cancelled = e instanceof CancelledError;
      await status
        .finish(cancelled ? 'cancelled' : 'failed', cancelled ? null : { message: e instanceof Error ? e.message : String(e), code: e instanceof AuditError ? e.code : 'INTERNAL', file: e instanceof AuditError ? (e.file ?? null) : null })
        .catch(() => undefined);
    }
    throw e;
  }
}

/** The content hash of a model file (for tests and tools that check a run folder's checkpoints). */
export async function checkpointHash(path: string): Promise<string> {
  const loaded = await loadModel(path);
  try {
    return modelHash(loaded.model);
  } finally {
    loaded.model.dispose();
  }
}
