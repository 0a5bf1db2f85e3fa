import { AuditError } from '../util/errors';
import { formatShape } from './checkpoint-tensor';

/**
 * Recognises a torchvision ResNet from a state dict's parameter names and shapes alone:
 * `conv1`, `bn1`, `layer{1..4}.{i}.conv{1,2[,3]}`/`bn*`/`downsample.{0,1}`, `fc`. Widths and class count
 * come from the shapes, so narrow or wide variants are recognised too; strides follow torchvision
 * (stride 2 in the first block of layer2..4, in the 3x3 conv of a bottleneck: ResNet v1.5).
 */

/** One residual block. `prefix` is its state-dict path, e.g. `layer2.0`. */
export interface TorchResNetBlock {
  prefix: string;
  inChannels: number;
  /** Channels inside the block (the 3x3 convs of a BasicBlock, the bottleneck width). */
  width: number;
  outChannels: number;
  stride: number;
  downsample: boolean;
}

export interface TorchResNetSpec {
  family: 'basic' | 'bottleneck';
  /** `resnet18`, `resnet50`, `wide_resnet50_2`, or e.g. `resnet18 (widths 4,8,16,32)` for non-standard widths. */
  architecture: string;
  inputChannels: number;
  stemChannels: number;
  /** layer1..layer4, each a list of blocks. */
  stages: TorchResNetBlock[][];
  features: number;
  numClasses: number;
}

const DEPTHS: Record<string, string> = {
  'basic:2,2,2,2': 'resnet18',
  'basic:3,4,6,3': 'resnet34',
  'bottleneck:3,4,6,3': 'resnet50',
  'bottleneck:3,4,23,3': 'resnet101',
  'bottleneck:3,8,36,3': 'resnet152',
};
const STANDARD_PLANES = [64, 128, 256, 512];
const BN_SUFFIXES = ['weight', 'bias', 'running_mean', 'running_var'];

/** Shapes keyed by parameter name; `recognizeTorchResNet` needs nothing else. */
export type ParameterShapes = ReadonlyMap<string, readonly number[]>;

/**
 * The ResNet a state dict describes; throws `AuditError` naming `file` and listing what was recognised
 * when the names or shapes match no torchvision ResNet.
 */
export function recognizeTorchResNet(shapes: ParameterShapes, file: string): TorchResNetSpec {
  const recognised: string[] = [];
  const problems: string[] = [];
  const used = new Set<string>();
  const shapeOf = (name: string): readonly number[] | undefined => {
    const shape = shapes.get(name);
    if (shape) used.add(name);
    return shape;
  };
  const expect = (name: string, want: (number | undefined)[]): boolean => {
    const shape = shapeOf(name);
    if (!shape) {
      problems.push(`${name} is missing`);
      return false;
    }
    if (shape.length !== want.length || want.some((d, i) => d !== undefined && d !== shape[i])) {
      problems.push(`${name} has shape ${formatShape(shape)}, expected ${want.map((d) => d ?? '?').join('x')}`);
      return false;
    }
    return true;
  };
  const expectBatchNorm = (prefix: string, channels: number): void => {
    for (const suffix of BN_SUFFIXES) expect(`${prefix}.${suffix}`, [channels]);
    shapeOf(`${prefix}.num_batches_tracked`);
  };

  const stem = shapes.get('conv1.weight');
  let spec: TorchResNetSpec | undefined;
  if (!stem || stem.length !== 4 || stem[2] !== 7 || stem[3] !== 7) {
    problems.push(stem ? `conv1.weight has shape ${formatShape(stem)}, not a 7x7 stem` : 'no conv1.weight (the ResNet stem)');
  } else {
    shapeOf('conv1.weight');
    const stemChannels = stem[0];
    expectBatchNorm('bn1', stemChannels);
    recognised.push(`stem conv1 ${formatShape(stem)} + bn1`);
    const family = shapes.has('layer1.0.conv3.weight') ? 'bottleneck' : 'basic';
    const stages: TorchResNetBlock[][] = [];
    let channels = stemChannels;
    for (let s = 1; s <= 4; s++) {
      const blocks: TorchResNetBlock[] = [];
      for (let b = 0; shapes.has(`layer${s}.${b}.conv1.weight`); b++) {
        const block = recognizeBlock(`layer${s}.${b}`, family, channels, s > 1 && b === 0 ? 2 : 1, shapes, expect, expectBatchNorm, problems);
        if (!block) break;
        blocks.push(block);
        channels = block.outChannels;
      }
      if (blocks.length === 0) {
        problems.push(`layer${s} has no blocks (no layer${s}.0.conv1.weight)`);
        break;
      }
      recognised.push(`layer${s}: ${blocks.length} ${family === 'basic' ? 'BasicBlock' : 'Bottleneck'}s, ${blocks[0].inChannels} -> ${channels} channels`);
      stages.push(blocks);
    }
    const fc = shapes.get('fc.weight');
    if (fc && fc.length === 2) {
      if (expect('fc.weight', [undefined, channels]) && expect('fc.bias', [fc[0]])) recognised.push(`fc: ${channels} features -> ${fc[0]} classes`);
    } else problems.push(fc ? `fc.weight has shape ${formatShape(fc)}, not [classes, features]` : 'no fc.weight (the classifier)');
    if (stages.length === 4 && fc) {
      spec = {
        family,
        architecture: architectureName(family, stages),
        inputChannels: stem[1],
        stemChannels,
        stages,
        features: channels,
        numClasses: fc[0],
      };
    }
  }
  const unused = [...shapes.keys()].filter((k) => !used.has(k));
  if (unused.length > 0) problems.push(`parameters no torchvision ResNet has: ${unused.slice(0, 8).join(', ')}${unused.length > 8 ? `, ... (${unused.length} in all)` : ''}`);
  if (!spec || problems.length > 0) {
    const keys = [...shapes.keys()];
    throw new AuditError(
      `the state dict matches no known architecture (supported: torchvision ResNet-18/34/50/101/152 by parameter names). ` +
        `Recognised: ${recognised.join('; ') || 'nothing'}. Problems: ${problems.slice(0, 6).join('; ')}. ` +
        `It has ${keys.length} tensors, first ${keys.slice(0, 5).join(', ')}`,
      { file, code: 'UNKNOWN_ARCHITECTURE' },
    );
  }
  return spec;
}

function recognizeBlock(
  prefix: string,
  family: 'basic' | 'bottleneck',
  inChannels: number,
  stride: number,
  shapes: ParameterShapes,
  expect: (name: string, want: (number | undefined)[]) => boolean,
  expectBatchNorm: (prefix: string, channels: number) => void,
  problems: string[],
): TorchResNetBlock | undefined {
  const conv1 = shapes.get(`${prefix}.conv1.weight`);
  if (!conv1 || conv1.length !== 4) {
    problems.push(`${prefix}.conv1.weight is not a conv kernel`);
    return undefined;
  }
  const width = conv1[0];
  let outChannels: number;
  if (family === 'basic') {
    if (!expect(`${prefix}.conv1.weight`, [width, inChannels, 3, 3]) || !expect(`${prefix}.conv2.weight`, [width, width, 3, 3])) return undefined;
    expectBatchNorm(`${prefix}.bn1`, width);
    expectBatchNorm(`${prefix}.bn2`, width);
    outChannels = width;
  } else {
    const conv2 = shapes.get(`${prefix}.conv2.weight`);
    if (conv2 && conv2.length === 4 && conv2[1] !== width) {
      problems.push(`${prefix}.conv2 is a grouped convolution (${conv2[1]} input channels per group of ${width}: ResNeXt), which is not supported`);
      return undefined;
    }
    const conv3 = shapes.get(`${prefix}.conv3.weight`);
    outChannels = conv3?.[0] ?? 0;
    if (
      !expect(`${prefix}.conv1.weight`, [width, inChannels, 1, 1]) ||
      !expect(`${prefix}.conv2.weight`, [width, width, 3, 3]) ||
      !expect(`${prefix}.conv3.weight`, [outChannels, width, 1, 1])
    ) {
      return undefined;
    }
    expectBatchNorm(`${prefix}.bn1`, width);
    expectBatchNorm(`${prefix}.bn2`, width);
    expectBatchNorm(`${prefix}.bn3`, outChannels);
  }
  const downsample = shapes.has(`${prefix}.downsample.0.weight`);
  if (downsample !== (stride !== 1 || inChannels !== outChannels)) {
    problems.push(
      downsample
        ? `${prefix} has a downsample branch where torchvision has none (stride ${stride}, ${inChannels} -> ${outChannels} channels)`
        : `${prefix} lacks the downsample branch torchvision has (stride ${stride}, ${inChannels} -> ${outChannels} channels)`,
    );
    return undefined;
  }
  if (downsample) {
    expect(`${prefix}.downsample.0.weight`, [outChannels, inChannels, 1, 1]);
    expectBatchNorm(`${prefix}.downsample.1`, outChannels);
  }
  return { prefix, inChannels, width, outChannels, stride, downsample };
}

function architectureName(family: 'basic' | 'bottleneck', stages: TorchResNetBlock[][]): string {
  const depths = stages.map((s) => s.length).join(',');
  const base = DEPTHS[`${family}:${depths}`] ?? `resnet-${family}-${depths.replace(/,/g, '-')}`;
  const planes = stages.map((s) => (family === 'basic' ? s[0].outChannels : s[0].outChannels / 4));
  const widths = stages.map((s) => s[0].width);
  const standardPlanes = planes.every((p, i) => p === STANDARD_PLANES[i]);
  if (standardPlanes && widths.every((w, i) => w === planes[i])) return base;
  if (standardPlanes && family === 'bottleneck' && widths.every((w, i) => w === 2 * planes[i]) && base.startsWith('resnet')) return `wide_${base}_2`;
  return `${base} (widths ${widths.join(',')})`;
}
