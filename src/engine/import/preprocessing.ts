import { type Normalization, normalizationProblem } from '../data/normalization';
import { AuditError } from '../util/errors';

/**
 * How pixels must be prepared for an imported model. PyTorch checkpoints do not record it, so it comes
 * from the user, or from the torchvision ImageNet preset (what every torchvision classifier was trained
 * with), and travels with the imported model in its ModelMeta.
 */

/** torchvision's ImageNet preprocessing: pixels to [0, 1], then per-channel mean/std (RGB). */
export const TORCHVISION_IMAGENET: Normalization = Object.freeze({
  scale: 1 / 255,
  mean: Object.freeze([0.485, 0.456, 0.406]),
  std: Object.freeze([0.229, 0.224, 0.225]),
});

/** Pixels to [0, 1] and nothing else. */
export const UNIT_SCALE: Normalization = Object.freeze({ scale: 1 / 255, mean: Object.freeze([0]), std: Object.freeze([1]) });

export type NormalizationPreset = 'torchvision-imagenet' | 'unit';

const PRESETS: Record<NormalizationPreset, Normalization> = { 'torchvision-imagenet': TORCHVISION_IMAGENET, unit: UNIT_SCALE };

/** The channel order a checkpoint's first layer expects. Imported models always take RGB (see `channelOrder`). */
export type ChannelOrder = 'rgb' | 'bgr';

/** Normalisation with plain arrays, as ModelMeta stores it. */
export interface MetaNormalization {
  scale: number;
  mean: number[];
  std: number[];
}

export interface ResolvedNormalization {
  /** In RGB order (reversed when the checkpoint is BGR and the values were given in its order). */
  normalization: MetaNormalization;
  /** `given`, `preset:<name>`, or `default:torchvision-imagenet` when nothing was said. */
  source: string;
}

/**
 * The normalisation to record: the user's (values in the checkpoint's own channel order), a preset by
 * name, or torchvision's ImageNet preset by default. Throws `AuditError` for invalid values.
 */
export function resolveNormalization(given: Normalization | NormalizationPreset | undefined, channels: number, channelOrder: ChannelOrder): ResolvedNormalization {
  if (given === undefined) return { normalization: copy(TORCHVISION_IMAGENET), source: 'default:torchvision-imagenet' };
  if (typeof given === 'string') {
    const preset = PRESETS[given];
    if (!preset) throw new AuditError(`unknown normalization preset "${String(given)}" (known: ${Object.keys(PRESETS).join(', ')})`, { code: 'BAD_OPTIONS' });
    return { normalization: copy(preset), source: `preset:${given}` };
  }
  const problem = normalizationProblem(given, channels);
  if (problem !== undefined) throw new AuditError(`normalization: ${problem}`, { code: 'BAD_OPTIONS' });
  const normalization = copy(given);
  if (channelOrder === 'bgr') {
    normalization.mean.reverse();
    normalization.std.reverse();
  }
  return { normalization, source: 'given' };
}

function copy(n: Normalization): MetaNormalization {
  return { scale: n.scale, mean: [...n.mean], std: [...n.std] };
}
