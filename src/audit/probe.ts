/**
 * One probe on one model, outside a full audit: the backend's `RunProbe` (the editor's "Run Single Probe") and
 * scripted use. `asr` overlays a trigger on labelled test data and measures the attack success rate (the same JSON
 * as `bias-audit probe asr --json`); `stimuli` optimises one strong stimulus per class of a foundation and saves the
 * PNGs plus `stimuli.json` into `outDir` (as `bias-audit stimuli` does). Models are opened with `openModel`, so
 * PyTorch, safetensors and ONNX checkpoints work as well as model.json. Glue only: the measurements are the probes'
 * own public functions.
 */
import { join, resolve } from 'node:path';
import { currentBackendInfo, initBackend, type BackendChoice, type BackendInfo } from '../engine/backend/select';
import type { Dataset } from '../engine/data/dataset';
import { openDataset } from '../engine/data/open-dataset';
import { predict } from '../engine/eval';
import { openModel } from '../engine/import/open-model';
import { modelHash } from '../engine/model/model-hash';
import { evaluationSource } from '../engine/train/fit';
import { writeJsonAtomic } from '../engine/util/atomic';
import { AuditError } from '../engine/util/errors';
import type { AuditModelRef, ProbeContext } from '../probes/context';
import { interventionsStep } from '../probes/interventions';
import { type PreparedTrigger, validateInterventionsParams } from '../probes/interventions-params';
import { generateStrongStimuli, type StimulusSetStep } from '../probes/stimuli/generate';
import type { StimulusRunContext } from '../probes/stimuli/optimize';
import { validateStrongStimuliParams, type StrongStimuliParams } from '../probes/stimuli/params';
import type { LogLevel } from '../protocol/backendProtocol';
import type { InterventionModelResult } from '../protocol/results';
import type { AuditProgress } from './run/run-types';

export type SingleProbe = 'asr' | 'stimuli';

export interface ProbeRequest {
  probe: SingleProbe;
  /** The model: model.json (or its folder), or a .pt/.pth/.safetensors/.onnx checkpoint. */
  modelPath: string;
  /** asr: labelled test data whose classes are the model's, in order. */
  dataSpec: string | null;
  /** asr: the overlay, e.g. `square:size=0.25,color=#ffff00,position=top-left`. */
  trigger: string | null;
  /** asr: class index for the targeted ASR. */
  targetClass: number | null;
  /** stimuli: the folder the PNGs and stimuli.json are written to. */
  outDir: string | null;
  /** Parameters of the probe (stimuli: `probes.strongStimuli`'s; asr: `bootstrapResamples`, `bootstrapSeed`). */
  params?: Record<string, unknown> | null;
}

/** Compatible with the backend's `WorkOptions`; every field optional. */
export interface RunProbeOptions {
  signal?: AbortSignal;
  onProgress?: (progress: AuditProgress) => void;
  onLog?: (level: LogLevel, message: string) => void;
  /** Compute backend when none is initialised yet (default auto). */
  computeBackend?: BackendChoice | null;
  threads?: number | null;
  /** Where imported (.pt/.safetensors/.onnx) checkpoints are cached (default: openModel's). */
  importCacheDir?: string;
}

export const STIMULI_INDEX_FILE = 'stimuli.json';

/**
 * Runs one probe and resolves with its JSON result.
 *
 * @example
 * const r = await runProbe({ probe: 'asr', modelPath: 'child/model.json', dataSpec: 'idx:t.gz,l.gz', trigger: 'square:size=0.2', targetClass: 0, outDir: null }, { signal });
 * @throws AuditError naming the file or request field for bad input; CancelledError when `signal` fired.
 */
export async function runProbe(request: ProbeRequest, options: RunProbeOptions = {}): Promise<Record<string, unknown>> {
  if (request.probe !== 'asr' && request.probe !== 'stimuli') {
    throw new AuditError(`unknown probe "${String(request.probe)}" (expected asr or stimuli)`, { file: 'probe', code: 'BAD_REQUEST' });
  }
  const log = (line: string): void => options.onLog?.('info', line);
  const backend = currentBackendInfo() ?? (await initBackend({ backend: options.computeBackend ?? 'auto', ...(options.threads ? { threads: options.threads } : {}), log }));
  const progress = (phase: string, done: number | null, total: number | null): void =>
    options.onProgress?.({
      runDir: request.probe === 'stimuli' ? request.outDir : null, stepIndex: 0, stepsTotal: 1, stepLabel: `${request.probe} on ${request.modelPath}`, phase,
      epoch: null, epochs: null, batch: done, batches: total, loss: null, accuracy: null, imagesPerSecond: null, etaSeconds: null,
    });
  return request.probe === 'asr' ? runAsr(request, options, backend, log, progress) : runStimuli(request, options, backend, log, progress);
}

type Progress = (phase: string, done: number | null, total: number | null) => void;

function required(value: string | null, field: string, probe: SingleProbe): string {
  if (value === null || value.trim() === '') throw new AuditError(`the ${probe} probe needs ${field}`, { file: field, code: 'BAD_REQUEST' });
  return value;
}

async function runAsr(request: ProbeRequest, options: RunProbeOptions, backend: BackendInfo, log: (line: string) => void, progress: Progress): Promise<Record<string, unknown>> {
  const dataSpec = required(request.dataSpec, 'dataSpec', 'asr');
  const triggerSpec = required(request.trigger, 'trigger', 'asr');
  const params = request.params ?? {};
  progress('loading the model', null, null);
  const loaded = await openModel(request.modelPath, importOptions(options));
  try {
    const data = await openDataset(dataSpec);
    const { params: resolved, triggers } = await validateInterventionsParams(
      { ...params, triggers: [{ spec: triggerSpec, targetClass: request.targetClass }] },
      { classNames: data.classNames, where: 'request' },
    );
    const model: AuditModelRef = { id: 'model', role: 'child', loaded, hash: modelHash(loaded.model), freezeDepth: null, seed: null, sourceId: null };
    const context: ProbeContext = {
      signal: options.signal,
      log,
      progress: (done, total, detail) => progress(detail ?? 'probing', done, total),
      predict: (m, d, o = {}) =>
        predict(m.loaded.model, evaluationSource(m.loaded, d, { indices: o.indices, transform: o.transform, signal: options.signal }), {
          signal: options.signal,
          onBatch: (done, total) => progress(o.transform ? 'predicting with the trigger' : 'predicting', done, total),
        }),
      embed: () => Promise.reject(new Error('the asr probe does not use embeddings')),
    };
    const [result] = await interventionsStep(context, model, data, triggers, resolved);
    return { probe: 'asr', ...asrReport(request.modelPath, data, triggers[0], result, backend) };
  } finally {
    loaded.model.dispose();
  }
}

async function runStimuli(request: ProbeRequest, options: RunProbeOptions, backend: BackendInfo, log: (line: string) => void, progress: Progress): Promise<Record<string, unknown>> {
  const outDir = resolve(required(request.outDir, 'outDir', 'stimuli'));
  progress('loading the model', null, null);
  const loaded = await openModel(request.modelPath, importOptions(options));
  try {
    const { params } = validateStrongStimuliParams((request.params ?? {}) as Partial<StrongStimuliParams>, {
      foundationClassNames: loaded.meta.classNames,
      foundationInputShape: loaded.meta.inputShape,
      fieldPath: 'params',
    });
    const context: StimulusRunContext = { signal: options.signal, log, progress: (done, total, detail) => progress(detail ?? 'optimising stimuli', done, total) };
    const set: StimulusSetStep = await generateStrongStimuli(context, loaded, params, { dir: outDir, relativeDir: '' });
    // stimuli.json and the result are those of `bias-audit stimuli` (its manifest, and what --json prints).
    const manifest = { model: resolve(request.modelPath), ...set };
    await writeJsonAtomic(join(outDir, STIMULI_INDEX_FILE), manifest);
    return { probe: 'stimuli', out: outDir, backend, ...manifest };
  } finally {
    loaded.model.dispose();
  }
}

function importOptions(options: RunProbeOptions): { cacheDir?: string } {
  return options.importCacheDir !== undefined ? { cacheDir: options.importCacheDir } : {};
}

/**
 * One trigger's attack success rate on one model, as `bias-audit probe asr --json` prints it and RunProbe returns
 * it: the interventions probe's result with the model, data and trigger named.
 */
export function asrReport(modelPath: string, data: Dataset, prepared: PreparedTrigger, result: InterventionModelResult, backend: BackendInfo) {
  return {
    model: modelPath,
    data: data.specString,
    trigger: prepared.trigger.canonical,
    testImages: data.samples.length,
    cleanAccuracy: result.cleanAccuracy,
    cleanAccuracyCi95: result.cleanAccuracyCi95,
    asr: result.asr,
    asrDenominator: result.asrDenominator,
    asrCi95: result.asrCi95,
    targetClass: prepared.entry.targetClass,
    targetedAsr: result.targetedAsr,
    targetedAsrDenominator: result.targetedAsrDenominator,
    histogram: { classNames: [...data.classNames], clean: result.histogramClean, triggered: result.histogramTriggered },
    totalVariation: result.totalVariation,
    entropyClean: result.entropyClean,
    entropyTriggered: result.entropyTriggered,
    topClassShareClean: result.topClassShareClean,
    topClassShareTriggered: result.topClassShareTriggered,
    topClassTriggered: result.topClassTriggered,
    backend,
  };
}
