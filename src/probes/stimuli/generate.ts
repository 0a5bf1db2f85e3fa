import { join } from 'node:path';
import type { LoadedModel } from '../../engine/model/meta';
import { writeFileAtomic } from '../../engine/util/atomic';
import type { StimulusParams } from '../../protocol/results';
import { type StimulusRunContext, optimizeStimuli } from './optimize';
import type { ResolvedStrongStimuliParams } from './params';
import { stimulusParameterizer } from './parameterization';
import { encodePng } from './png';

/** One saved stimulus of a stimulus set. */
export interface GeneratedStimulus {
  foundationClass: number;
  className: string;
  /** The PNG, relative to the run folder (`relativeDir/class-003.png`). */
  image: string;
  /** The foundation's softmax probability of its class on the saved (8-bit) stimulus. */
  foundationConfidence: number;
  /** The foundation's predicted class on the saved stimulus. */
  foundationPredicted: number;
  /** The climbed score (params.score) on the initial image and on the saved stimulus. */
  initialScore: number;
  finalScore: number;
}

/** Result of the stimulus-generation step: plain JSON, reusable across runs (keyed by foundation hash and params). */
export interface StimulusSetStep {
  /** Every parameter as used (results.json `strongStimuli.params`). */
  params: StimulusParams;
  foundationClassNames: string[];
  /** In `params.classes` order. */
  stimuli: GeneratedStimulus[];
}

/** Where the stimuli go: an absolute folder, and the same folder relative to the run folder (for results.json). */
export interface StimulusOutput {
  dir: string;
  relativeDir: string;
}

/**
 * Step 1 of the strong-stimuli probe: optimises one stimulus per class of `params.classes` against the
 * foundation (see optimizeStimuli) and saves each as `class-NNN.png` in `output.dir`, atomically. Writes
 * nothing else, nowhere else.
 *
 * @example
 * const set = await generateStrongStimuli(ctx, foundation.loaded, params, { dir: join(runDir, 'stimuli'), relativeDir: 'stimuli' });
 */
export async function generateStrongStimuli(
  ctx: StimulusRunContext,
  foundation: LoadedModel,
  params: ResolvedStrongStimuliParams,
  output: StimulusOutput,
): Promise<StimulusSetStep> {
  const [height, width, channels] = foundation.meta.inputShape;
  if (channels !== 1 && channels !== 3) throw new Error(`stimuli need a 1- or 3-channel model input, got ${channels}`);
  ctx.log(`strong stimuli: ${params.classes.length} classes x ${params.steps} steps (${params.parameterization}, ${params.score})`);
  const optimized = await optimizeStimuli(ctx, foundation, params);
  const stimuli: GeneratedStimulus[] = [];
  for (const s of optimized) {
    const name = `class-${String(s.foundationClass).padStart(3, '0')}.png`;
    await writeFileAtomic(join(output.dir, name), await encodePng(s.pixels, height, width, channels));
    stimuli.push({
      foundationClass: s.foundationClass,
      className: foundation.meta.classNames[s.foundationClass] ?? String(s.foundationClass),
      image: output.relativeDir === '' ? name : `${output.relativeDir.replace(/\/+$/, '')}/${name}`,
      foundationConfidence: s.foundationConfidence,
      foundationPredicted: s.foundationPredicted,
      initialScore: s.initialScore,
      finalScore: s.finalScore,
    });
  }
  return { params: recordedParams(params, [height, width, channels]), foundationClassNames: [...foundation.meta.classNames], stimuli };
}

/** The parameters as results.json records them, with what they imply (notes). */
export function recordedParams(params: ResolvedStrongStimuliParams, inputShape: readonly [number, number, number]): StimulusParams {
  const [height, width] = inputShape;
  const notes = [
    ...stimulusParameterizer(params.parameterization, inputShape, params.fourierDecayPower).notes,
    `objective per stimulus: ${params.score} of the class - ${params.l2Penalty} * mean((u - 0.5)^2) - ${params.totalVariationPenalty} * TV(u), u = pixel / 255, TV = mean |vertical difference| + mean |horizontal difference|`,
  ];
  return {
    steps: params.steps,
    learningRate: params.learningRate,
    score: params.score,
    jitterPixels: params.jitterPixels,
    scaleRange: [params.scaleRange[0], params.scaleRange[1]],
    rotationDegrees: params.rotationDegrees,
    l2Penalty: params.l2Penalty,
    totalVariationPenalty: params.totalVariationPenalty,
    parameterization: params.parameterization,
    seed: params.seed,
    imageSize: [height, width],
    classes: [...params.classes],
    batchSize: params.batchSize,
    optimizer: 'adam',
    fourierDecayPower: params.fourierDecayPower,
    initStd: params.initStd,
    pixelRange: 'sigmoid',
    notes,
  };
}
