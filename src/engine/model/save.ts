import { io } from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDirAtomic } from '../util/atomic';
import { AuditError } from '../util/errors';
import { classifierUnits } from './graph';
import { META_KEY, type LoadedModel } from './meta';
import { CLASSES_TXT } from './sidecars';

/** File name of the single weight shard `saveModel` writes. */
export const WEIGHTS_BIN = 'weights.bin';

/**
 * Captures what `model.save` produces (topology, weight specs and bytes) without writing anything.
 * All weights are included, trainable or not (BatchNorm moving statistics too).
 */
export async function modelArtifacts(model: tfl.LayersModel): Promise<io.ModelArtifacts> {
  let captured: io.ModelArtifacts | undefined;
  await model.save(
    io.withSaveHandler((artifacts) => {
      captured = artifacts;
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
    }),
  );
  if (!captured) throw new Error('tfjs model.save did not hand over the model artifacts');
  return captured;
}

/**
 * Writes `loaded` into directory `dir` as model.json (topology, weights manifest and the meta under
 * `userDefinedMetadata.biasAudit`), weights.bin, classes.txt and any `extraFiles` (e.g. training.json). The
 * directory is replaced atomically:
 * a crash leaves the previous content or the new one, never a mix.
 */
export async function saveModel(loaded: LoadedModel, dir: string, options: { extraFiles?: Record<string, string | Uint8Array> } = {}): Promise<void> {
  const { model, meta } = loaded;
  const units = classifierUnits(model);
  if (meta.classNames.length !== units) {
    throw new AuditError(`meta lists ${meta.classNames.length} classes but the model's classifier has ${units} outputs`, { file: dir, code: 'BAD_META' });
  }
  const badName = meta.classNames.find((name) => /[\r\n]/.test(name) || name.trim() !== name || name === '');
  if (badName !== undefined) {
    throw new AuditError(`class name ${JSON.stringify(badName)} cannot be written to ${CLASSES_TXT} (empty, padded or multi-line)`, { file: dir, code: 'BAD_META' });
  }
  const artifacts = await modelArtifacts(model);
  const weightData = io.CompositeArrayBuffer.join(artifacts.weightData ?? []);
  const modelJson: io.ModelJSON = {
    format: 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: null,
    modelTopology: artifacts.modelTopology as object,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
    userDefinedMetadata: { ...(artifacts.userDefinedMetadata ?? {}), [META_KEY]: JSON.parse(JSON.stringify(meta)) as object },
  };
  await writeDirAtomic(dir, async (tmp) => {
    await writeFile(join(tmp, WEIGHTS_BIN), new Uint8Array(weightData));
    await writeFile(join(tmp, CLASSES_TXT), `${meta.classNames.join('\n')}\n`);
    for (const [name, content] of Object.entries(options.extraFiles ?? {})) await writeFile(join(tmp, name), content);
    await writeFile(join(tmp, 'model.json'), `${JSON.stringify(modelJson)}\n`);
  });
}
