import type { Dataset } from '../../../../src/engine/data/dataset';
import { predict, type Predictions } from '../../../../src/engine/eval';
import type { LoadedModel } from '../../../../src/engine/model/meta';
import { evaluationSource } from '../../../../src/engine/train/fit';
import type { AuditModelRef, PredictOptions, ProbeContext } from '../../../../src/probes/context';

/**
 * A ProbeContext for tests: predictions straight from the engine, with the run's cache contract checked
 * (a transform must come with a transformId) and every call recorded.
 */
export function directContext(): ProbeContext & { calls: { modelId: string; transformId: string | null; indices: number | null }[] } {
  const calls: { modelId: string; transformId: string | null; indices: number | null }[] = [];
  return {
    calls,
    log: () => undefined,
    progress: () => undefined,
    predict: async (model: AuditModelRef, data: Dataset, options: PredictOptions = {}): Promise<Predictions> => {
      if (options.transform !== undefined && options.transformId === undefined) throw new Error('predict: a transform needs a transformId');
      calls.push({ modelId: model.id, transformId: options.transformId ?? null, indices: options.indices?.length ?? null });
      return predict(model.loaded.model, evaluationSource(model.loaded, data, { batchSize: 64, indices: options.indices, transform: options.transform }));
    },
    embed: () => Promise.reject(new Error('not used')),
  };
}

/** An AuditModelRef around a loaded model. */
export function modelRef(id: string, loaded: LoadedModel, fields: Partial<Omit<AuditModelRef, 'id' | 'loaded'>> = {}): AuditModelRef {
  return { id, role: 'child', loaded, hash: id, freezeDepth: null, seed: null, sourceId: null, ...fields };
}
