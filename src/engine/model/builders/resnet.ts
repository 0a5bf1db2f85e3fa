import * as tfl from '@tensorflow/tfjs-layers';
import {
  checkBuilderArgs,
  classifierHead,
  type ImageShape,
  imageInput,
  imagenetStem,
  type OutputActivation,
  type ResNetStyle,
  smallInputStem,
  stage,
} from './resnet-parts';

export interface ResNetOptions {
  inputShape: ImageShape;
  numClasses: number;
  seed: number;
  /**
   * 'imagenet': 7x7/2 convolution + 3x3/2 max pooling (for 224 px); 'small': one 3x3/1 convolution and no
   * pooling (CIFAR-style, for 32 px). Default: 'small' below 96 px, else 'imagenet'.
   */
  stem?: 'imagenet' | 'small';
  /** Filters of the stem and first stage (Keras: 64); smaller values give the same topology, cheaper. */
  width?: number;
  /** Default 'linear' (logits); Keras' own ResNet50 ends in 'softmax'. */
  outputActivation?: OutputActivation;
}

/** Architecture names recorded in the meta. */
export const RESNET18 = 'resnet18';
export const RESNET50 = 'resnet50';

function stemOf(options: ResNetOptions): 'imagenet' | 'small' {
  return options.stem ?? (Math.min(options.inputShape[0], options.inputShape[1]) < 96 ? 'small' : 'imagenet');
}

/**
 * ResNet-18 (basic blocks, 2-2-2-2) with Keras' stage naming: stem `conv1_*`, stages `conv2_block1_*` ..
 * `conv5_block2_*`, `avg_pool`, `predictions`. 11.7M parameters at width 64 with 1000 classes.
 */
export function buildResNet18(options: ResNetOptions): tfl.LayersModel {
  const width = options.width ?? 64;
  checkBuilderArgs(options.inputShape, options.numClasses, width);
  const style: ResNetStyle = { seed: options.seed, useBias: false, bnMomentum: 0.9, bnEpsilon: 1e-5 };
  const input = imageInput(options.inputShape);
  let x = stemOf(options) === 'imagenet' ? imagenetStem(style, input, width) : smallInputStem(style, input, width);
  x = stage(style, x, 2, 2, width, 1, 'basic');
  x = stage(style, x, 3, 2, 2 * width, 2, 'basic');
  x = stage(style, x, 4, 2, 4 * width, 2, 'basic');
  x = stage(style, x, 5, 2, 8 * width, 2, 'basic');
  const output = classifierHead(style, x, options.numClasses, options.outputActivation ?? 'linear');
  return tfl.model({ name: RESNET18, inputs: input, outputs: output });
}

/**
 * ResNet-50 exactly as `keras.applications.ResNet50` builds it (bottleneck blocks 3-4-6-3, biased
 * convolutions, BatchNorm epsilon 1.001e-5, the same layer names), so checkpoints converted from Keras
 * and ours share topology and block map. 25.6M parameters at width 64 with 1000 classes.
 */
export function buildResNet50(options: ResNetOptions): tfl.LayersModel {
  const width = options.width ?? 64;
  checkBuilderArgs(options.inputShape, options.numClasses, width);
  const style: ResNetStyle = { seed: options.seed, useBias: true, bnMomentum: 0.99, bnEpsilon: 1.001e-5 };
  const input = imageInput(options.inputShape);
  let x = stemOf(options) === 'imagenet' ? imagenetStem(style, input, width) : smallInputStem(style, input, width);
  x = stage(style, x, 2, 3, width, 1, 'bottleneck');
  x = stage(style, x, 3, 4, 2 * width, 2, 'bottleneck');
  x = stage(style, x, 4, 6, 4 * width, 2, 'bottleneck');
  x = stage(style, x, 5, 3, 8 * width, 2, 'bottleneck');
  const output = classifierHead(style, x, options.numClasses, options.outputActivation ?? 'linear');
  return tfl.model({ name: RESNET50, inputs: input, outputs: output });
}
