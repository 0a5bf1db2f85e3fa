import * as tfl from '@tensorflow/tfjs-layers';
import { AuditError } from '../util/errors';
import type { StateDict } from './checkpoint-tensor';
import type { TorchResNetBlock, TorchResNetSpec } from './torchvision-resnet-spec';
import { disposeVariablesOnError, oihwToHwio, setLayerWeights, transposeMatrix } from './weight-layout';

/**
 * Builds the TF.js (NHWC) twin of a torchvision ResNet and loads a state dict into it. PyTorch pads
 * symmetrically where TF's 'same' puts the odd pixel at the end, so every padded conv and the stem's max
 * pool get an explicit ZeroPadding2D followed by a 'valid' op: outputs match PyTorch exactly on any input
 * size. (Zero padding is exact for the max pool because it follows a ReLU: no value is below zero.)
 * Layer names are the state-dict paths with `_` for `.`, the stem's prefixed `stem_`, so the block map is
 * the prefixes `stem_`, `layer1_` .. `layer4_`.
 */

/** PyTorch BatchNorm2d defaults: eps 1e-5; its momentum 0.1 is Keras momentum 0.9. */
const BN_EPSILON = 1e-5;
const BN_MOMENTUM = 0.9;

/** Block names and their layer-name prefixes, input side first (`ModelMeta.blockPrefixes`). */
export const TORCHVISION_RESNET_BLOCKS: { name: string; prefixes: string[] }[] = [
  { name: 'stem', prefixes: ['stem_'] },
  { name: 'layer1', prefixes: ['layer1_'] },
  { name: 'layer2', prefixes: ['layer2_'] },
  { name: 'layer3', prefixes: ['layer3_'] },
  { name: 'layer4', prefixes: ['layer4_'] },
];

type Pending = { layer: tfl.layers.Layer; load: () => void };

/**
 * Builds the model for `spec` with input `[height, width, channels]` and the weights of `stateDict`
 * (converted OIHW -> HWIO, fc transposed, BatchNorm running statistics as moving statistics).
 */
export function buildTorchvisionResNet(spec: TorchResNetSpec, stateDict: StateDict, inputShape: [number, number, number], file: string): tfl.LayersModel {
  return disposeVariablesOnError(() => build(spec, stateDict, inputShape, file));
}

function build(spec: TorchResNetSpec, stateDict: StateDict, inputShape: [number, number, number], file: string): tfl.LayersModel {
  if (inputShape[2] !== spec.inputChannels) {
    throw new AuditError(`the checkpoint's stem takes ${spec.inputChannels} channels but the input shape has ${inputShape[2]}`, { file, code: 'BAD_OPTIONS' });
  }
  const pending: Pending[] = [];
  const tensor = (name: string): Float32Array => {
    const t = stateDict.get(name);
    if (!t) throw new AuditError(`parameter ${name} is missing`, { file, code: 'BAD_CHECKPOINT' });
    return t.values;
  };
  const conv = (x: tfl.SymbolicTensor, key: string, layerName: string, filters: number, kernel: number, stride: number, padding: number): tfl.SymbolicTensor => {
    let y = x;
    if (padding > 0) y = tfl.layers.zeroPadding2d({ padding, name: `${layerName}_pad` }).apply(y) as tfl.SymbolicTensor;
    const layer = tfl.layers.conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'valid', useBias: false, kernelInitializer: 'zeros', name: layerName });
    const weight = stateDict.get(`${key}.weight`);
    pending.push({ layer, load: () => setLayerWeights(layer, [oihwToHwio(tensor(`${key}.weight`), weight?.shape ?? [])]) });
    return layer.apply(y) as tfl.SymbolicTensor;
  };
  const batchNorm = (x: tfl.SymbolicTensor, key: string, layerName: string): tfl.SymbolicTensor => {
    const layer = tfl.layers.batchNormalization({ axis: -1, epsilon: BN_EPSILON, momentum: BN_MOMENTUM, name: layerName });
    pending.push({
      layer,
      load: () =>
        setLayerWeights(
          layer,
          ['weight', 'bias', 'running_mean', 'running_var'].map((suffix) => {
            const values = tensor(`${key}.${suffix}`);
            return { shape: [values.length], values };
          }),
        ),
    });
    return layer.apply(x) as tfl.SymbolicTensor;
  };
  const relu = (x: tfl.SymbolicTensor, name: string): tfl.SymbolicTensor => tfl.layers.reLU({ name }).apply(x) as tfl.SymbolicTensor;

  const input = tfl.input({ shape: inputShape, name: 'input' });
  let x = conv(input, 'conv1', 'stem_conv1', spec.stemChannels, 7, 2, 3);
  x = relu(batchNorm(x, 'bn1', 'stem_bn1'), 'stem_relu');
  x = tfl.layers.zeroPadding2d({ padding: 1, name: 'stem_maxpool_pad' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'stem_maxpool' }).apply(x) as tfl.SymbolicTensor;
  for (const stage of spec.stages) {
    for (const block of stage) x = residualBlock(x, block, spec.family, conv, batchNorm, relu);
  }
  x = tfl.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x) as tfl.SymbolicTensor;
  const fc = tfl.layers.dense({ units: spec.numClasses, name: 'fc', kernelInitializer: 'zeros' });
  pending.push({
    layer: fc,
    load: () => {
      const bias = tensor('fc.bias');
      setLayerWeights(fc, [transposeMatrix(tensor('fc.weight'), spec.numClasses, spec.features), { shape: [bias.length], values: bias }]);
    },
  });
  const output = fc.apply(x) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: output, name: modelName(spec.architecture) });
  for (const p of pending) p.load();
  return model;
}

function residualBlock(
  x: tfl.SymbolicTensor,
  block: TorchResNetBlock,
  family: 'basic' | 'bottleneck',
  conv: (x: tfl.SymbolicTensor, key: string, layerName: string, filters: number, kernel: number, stride: number, padding: number) => tfl.SymbolicTensor,
  batchNorm: (x: tfl.SymbolicTensor, key: string, layerName: string) => tfl.SymbolicTensor,
  relu: (x: tfl.SymbolicTensor, name: string) => tfl.SymbolicTensor,
): tfl.SymbolicTensor {
  const key = block.prefix;
  const name = key.replace(/\./g, '_');
  let y: tfl.SymbolicTensor;
  if (family === 'basic') {
    y = relu(batchNorm(conv(x, `${key}.conv1`, `${name}_conv1`, block.width, 3, block.stride, 1), `${key}.bn1`, `${name}_bn1`), `${name}_relu1`);
    y = batchNorm(conv(y, `${key}.conv2`, `${name}_conv2`, block.width, 3, 1, 1), `${key}.bn2`, `${name}_bn2`);
  } else {
    // torchvision v1.5: the stride sits in the 3x3 conv2, not in the 1x1 conv1.
    y = relu(batchNorm(conv(x, `${key}.conv1`, `${name}_conv1`, block.width, 1, 1, 0), `${key}.bn1`, `${name}_bn1`), `${name}_relu1`);
    y = relu(batchNorm(conv(y, `${key}.conv2`, `${name}_conv2`, block.width, 3, block.stride, 1), `${key}.bn2`, `${name}_bn2`), `${name}_relu2`);
    y = batchNorm(conv(y, `${key}.conv3`, `${name}_conv3`, block.outChannels, 1, 1, 0), `${key}.bn3`, `${name}_bn3`);
  }
  let shortcut = x;
  if (block.downsample) {
    shortcut = batchNorm(conv(x, `${key}.downsample.0`, `${name}_downsample_0`, block.outChannels, 1, block.stride, 0), `${key}.downsample.1`, `${name}_downsample_1`);
  }
  const sum = tfl.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as tfl.SymbolicTensor;
  return relu(sum, `${name}_relu_out`);
}

/** TF.js model names: letters, digits, `_`. */
function modelName(architecture: string): string {
  return architecture.replace(/[^A-Za-z0-9_]+/g, '_').replace(/_+$/, '');
}
