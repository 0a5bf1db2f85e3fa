import * as tfl from '@tensorflow/tfjs-layers';
import {
  checkBuilderArgs,
  classifierHead,
  type ImageShape,
  imageInput,
  type OutputActivation,
  type ResNetStyle,
  smallInputStem,
  stage,
} from './resnet-parts';

export interface SmallResNetOptions {
  /** [height, width, channels], meant for 28-64 px images. */
  inputShape: ImageShape;
  numClasses: number;
  seed: number;
  /** Filters of the first stage; stages double it. Default 8 (about 20k parameters). */
  width?: number;
  /** Basic blocks in each of the three stages. Default [1, 1, 1]. */
  blocksPerStage?: [number, number, number];
  /** Default 'linear' (logits). */
  outputActivation?: OutputActivation;
}

/** Architecture name recorded in the meta of models from `buildSmallResNet`. */
export const SMALL_RESNET = 'small_resnet';

/**
 * A small residual network for 28-64 px inputs, fast enough to pretrain and finetune on a CPU: a 3x3
 * stem (`conv1`) and three stages of basic blocks (`conv2` at full resolution, `conv3` and `conv4`
 * halving it), global average pooling and a Dense classifier `predictions`. Named like Keras' ResNets,
 * so its block map is stem, conv2, conv3, conv4.
 *
 * @example
 * const model = buildSmallResNet({ inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
 */
export function buildSmallResNet(options: SmallResNetOptions): tfl.LayersModel {
  const width = options.width ?? 8;
  checkBuilderArgs(options.inputShape, options.numClasses, width);
  const blocks = options.blocksPerStage ?? [1, 1, 1];
  const style: ResNetStyle = { seed: options.seed, useBias: false, bnMomentum: 0.9, bnEpsilon: 1e-5 };
  const input = imageInput(options.inputShape);
  let x = smallInputStem(style, input, width);
  x = stage(style, x, 2, blocks[0], width, 1, 'basic');
  x = stage(style, x, 3, blocks[1], 2 * width, 2, 'basic');
  x = stage(style, x, 4, blocks[2], 4 * width, 2, 'basic');
  const output = classifierHead(style, x, options.numClasses, options.outputActivation ?? 'linear');
  return tfl.model({ name: SMALL_RESNET, inputs: input, outputs: output });
}
