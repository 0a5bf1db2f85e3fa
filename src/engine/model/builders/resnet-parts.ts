import * as tfl from '@tensorflow/tfjs-layers';
import { AuditError } from '../../util/errors';
import { deriveSeed } from '../../util/random';

/**
 * Layers of the ResNet family with Keras' naming (`conv2_block1_1_conv`, `conv2_block1_add`, ...), so that
 * our models and Keras-converted ones share one block map. Every initialiser is seeded from the
 * builder's seed and the layer name, so a seed reproduces a model exactly.
 */
export interface ResNetStyle {
  seed: number;
  /** Keras' ResNet50 gives its convolutions biases; ResNet-18 style nets drop them before BatchNorm. */
  useBias: boolean;
  bnMomentum: number;
  bnEpsilon: number;
}

/** Shape of one input image. */
export type ImageShape = [number, number, number];

/** Output activation of the classifier: logits (for our training loss) or Keras-style softmax. */
export type OutputActivation = 'linear' | 'softmax';

export function conv(
  style: ResNetStyle,
  x: tfl.SymbolicTensor,
  name: string,
  filters: number,
  kernelSize: number,
  strides = 1,
  padding: 'same' | 'valid' = 'same',
): tfl.SymbolicTensor {
  return tfl.layers
    .conv2d({
      name,
      filters,
      kernelSize,
      strides,
      padding,
      useBias: style.useBias,
      kernelInitializer: tfl.initializers.heNormal({ seed: deriveSeed(style.seed, name, 'kernel') }),
    })
    .apply(x) as tfl.SymbolicTensor;
}

export function batchNorm(style: ResNetStyle, x: tfl.SymbolicTensor, name: string): tfl.SymbolicTensor {
  return tfl.layers.batchNormalization({ name, axis: 3, momentum: style.bnMomentum, epsilon: style.bnEpsilon }).apply(x) as tfl.SymbolicTensor;
}

export function relu(x: tfl.SymbolicTensor, name: string): tfl.SymbolicTensor {
  return tfl.layers.activation({ name, activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
}

function channels(x: tfl.SymbolicTensor): number {
  return x.shape[3] as number;
}

/** Two 3x3 convolutions with an identity (or 1x1 projection) shortcut: ResNet-18/34's block. */
export function basicBlock(style: ResNetStyle, x: tfl.SymbolicTensor, prefix: string, filters: number, stride: number): tfl.SymbolicTensor {
  let shortcut = x;
  if (stride !== 1 || channels(x) !== filters) {
    shortcut = batchNorm(style, conv(style, x, `${prefix}_0_conv`, filters, 1, stride), `${prefix}_0_bn`);
  }
  let y = relu(batchNorm(style, conv(style, x, `${prefix}_1_conv`, filters, 3, stride), `${prefix}_1_bn`), `${prefix}_1_relu`);
  y = batchNorm(style, conv(style, y, `${prefix}_2_conv`, filters, 3), `${prefix}_2_bn`);
  const sum = tfl.layers.add({ name: `${prefix}_add` }).apply([shortcut, y]) as tfl.SymbolicTensor;
  return relu(sum, `${prefix}_out`);
}

/** Keras' ResNet50 `block1`: 1x1 (stride) -> 3x3 -> 1x1 expanding to 4 x filters, with a projection when asked. */
export function bottleneckBlock(
  style: ResNetStyle,
  x: tfl.SymbolicTensor,
  prefix: string,
  filters: number,
  stride: number,
  projectShortcut: boolean,
): tfl.SymbolicTensor {
  let shortcut = x;
  if (projectShortcut) {
    shortcut = batchNorm(style, conv(style, x, `${prefix}_0_conv`, 4 * filters, 1, stride, 'valid'), `${prefix}_0_bn`);
  }
  let y = relu(batchNorm(style, conv(style, x, `${prefix}_1_conv`, filters, 1, stride, 'valid'), `${prefix}_1_bn`), `${prefix}_1_relu`);
  y = relu(batchNorm(style, conv(style, y, `${prefix}_2_conv`, filters, 3), `${prefix}_2_bn`), `${prefix}_2_relu`);
  y = batchNorm(style, conv(style, y, `${prefix}_3_conv`, 4 * filters, 1, 1, 'valid'), `${prefix}_3_bn`);
  const sum = tfl.layers.add({ name: `${prefix}_add` }).apply([shortcut, y]) as tfl.SymbolicTensor;
  return relu(sum, `${prefix}_out`);
}

/** One stage `conv{stage}` of `blocks` blocks; the first block carries the stride. */
export function stage(
  style: ResNetStyle,
  x: tfl.SymbolicTensor,
  stageNumber: number,
  blocks: number,
  filters: number,
  stride: number,
  kind: 'basic' | 'bottleneck',
): tfl.SymbolicTensor {
  let y = x;
  for (let b = 1; b <= blocks; b++) {
    const prefix = `conv${stageNumber}_block${b}`;
    const s = b === 1 ? stride : 1;
    y = kind === 'basic' ? basicBlock(style, y, prefix, filters, s) : bottleneckBlock(style, y, prefix, filters, s, b === 1);
  }
  return y;
}

/** ImageNet stem: 7x7/2 convolution and 3x3/2 max pooling, padded explicitly as Keras does. */
export function imagenetStem(style: ResNetStyle, x: tfl.SymbolicTensor, filters: number): tfl.SymbolicTensor {
  let y = tfl.layers.zeroPadding2d({ name: 'conv1_pad', padding: [[3, 3], [3, 3]] }).apply(x) as tfl.SymbolicTensor;
  y = conv(style, y, 'conv1_conv', filters, 7, 2, 'valid');
  y = relu(batchNorm(style, y, 'conv1_bn'), 'conv1_relu');
  y = tfl.layers.zeroPadding2d({ name: 'pool1_pad', padding: [[1, 1], [1, 1]] }).apply(y) as tfl.SymbolicTensor;
  return tfl.layers.maxPooling2d({ name: 'pool1_pool', poolSize: 3, strides: 2 }).apply(y) as tfl.SymbolicTensor;
}

/** Small-input (CIFAR-style) stem: one 3x3/1 convolution, no pooling, so 32x32 inputs keep their detail. */
export function smallInputStem(style: ResNetStyle, x: tfl.SymbolicTensor, filters: number): tfl.SymbolicTensor {
  return relu(batchNorm(style, conv(style, x, 'conv1_conv', filters, 3), 'conv1_bn'), 'conv1_relu');
}

/** Global average pooling and the Dense classifier `predictions`. */
export function classifierHead(style: ResNetStyle, x: tfl.SymbolicTensor, numClasses: number, activation: OutputActivation): tfl.SymbolicTensor {
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as tfl.SymbolicTensor;
  return tfl.layers
    .dense({
      name: 'predictions',
      units: numClasses,
      activation,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: deriveSeed(style.seed, 'predictions', 'kernel') }),
    })
    .apply(pooled) as tfl.SymbolicTensor;
}

/** The input layer, named as Keras 2 names it. */
export function imageInput(inputShape: ImageShape): tfl.SymbolicTensor {
  return tfl.input({ name: 'input_1', shape: [...inputShape] });
}

/** Throws for shapes no builder can use. */
export function checkBuilderArgs(inputShape: ImageShape, numClasses: number, width: number): void {
  if (inputShape.length !== 3 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new AuditError(`inputShape must be [height, width, channels] of positive integers, got ${JSON.stringify(inputShape)}`, { code: 'BAD_CONFIG' });
  }
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new AuditError(`numClasses must be an integer >= 2, got ${numClasses}`, { code: 'BAD_CONFIG' });
  if (!Number.isInteger(width) || width < 1) throw new AuditError(`width must be a positive integer, got ${width}`, { code: 'BAD_CONFIG' });
}
