import * as tfl from '@tensorflow/tfjs-layers';
import { elementCount } from './checkpoint-tensor';
import type { ConstTensor } from './onnx-constants';
import { LOWEST_FLOAT32, padImage, resolvePads } from './onnx-geometry';
import { ClipValues, ElementwiseConstant } from './onnx-layers';
import { type ConstantValue, float32Values, onnxShape, type OpContext, type OpHandler, type SymbolicValue, symbolicValue } from './onnx-op-context';
import { depthwiseOihwToHwcm, oihwToHwio, transposeMatrix, type WeightArray } from './weight-layout';

/**
 * ONNX operators -> tfjs-layers layers, for the operators CNN classifiers use. Each handler maps NCHW
 * semantics onto the NHWC graph; anything it cannot reproduce exactly is refused with the reason.
 */

const vector = (values: Float32Array): WeightArray => ({ shape: [values.length], values });

function image(ctx: OpContext, i: number): SymbolicValue {
  const x = ctx.symbolic(i);
  if (!x.image) ctx.fail(`expects a 4-D NCHW feature map, got a value of shape ${JSON.stringify(onnxShape(x))}`);
  return x;
}

function spatialAttrs(ctx: OpContext, kernel: number[]): { strides: number[]; dilations: number[] } {
  const strides = ctx.attrInts('strides', [1, 1]);
  const dilations = ctx.attrInts('dilations', [1, 1]);
  if (kernel.length !== 2 || strides.length !== 2 || dilations.length !== 2) ctx.fail('only 2-D (image) operators are supported');
  return { strides, dilations };
}

const conv: OpHandler = (ctx) => {
  const x = image(ctx, 0);
  const weight = ctx.constant(1);
  const bias = ctx.optionalConstant(2);
  if (weight.dims.length !== 4) ctx.fail(`weight of shape ${JSON.stringify(weight.dims)} is not a 2-D convolution kernel`);
  const [outChannels, groupChannels, kh, kw] = weight.dims;
  const channels = x.tensor.shape[3] as number;
  const group = ctx.attrInt('group', 1);
  const { strides, dilations } = spatialAttrs(ctx, ctx.attrInts('kernel_shape', [kh, kw]));
  if (groupChannels * group !== channels) ctx.fail(`weight expects ${groupChannels * group} input channels, the input has ${channels}`);
  if (dilations.some((d) => d !== 1) && strides.some((s) => s !== 1)) ctx.fail('dilation together with stride > 1 is not supported by TF.js');
  const pads = resolvePads(ctx, [x.tensor.shape[1], x.tensor.shape[2]], [kh, kw], strides, dilations, false);
  const input = padImage(ctx, x, pads, 0);
  const common = { kernelSize: [kh, kw] as [number, number], strides: strides as [number, number], dilationRate: dilations as [number, number], padding: 'valid' as const, useBias: bias !== undefined, name: ctx.layerName() };
  const biasWeights = bias ? [vector(float32Values(bias))] : [];
  let y: tfl.SymbolicTensor;
  if (group === 1) {
    const layer = tfl.layers.conv2d({ ...common, filters: outChannels, kernelInitializer: 'zeros' });
    y = ctx.apply(layer, input.tensor, [oihwToHwio(float32Values(weight), weight.dims), ...biasWeights]);
  } else if (group === channels && groupChannels === 1 && outChannels % channels === 0) {
    const layer = tfl.layers.depthwiseConv2d({ ...common, depthMultiplier: outChannels / channels, depthwiseInitializer: 'zeros' });
    y = ctx.apply(layer, input.tensor, [depthwiseOihwToHwcm(float32Values(weight), weight.dims, channels), ...biasWeights]);
  } else {
    return ctx.fail(`grouped convolution (group=${group} over ${channels} channels) is not supported; only group 1 and depthwise`);
  }
  return [symbolicValue(y, true)];
};

const batchNormalization: OpHandler = (ctx) => {
  const x = ctx.symbolic(0);
  if (!x.image && x.tensor.shape.length !== 2) ctx.fail('BatchNormalization is supported on NCHW feature maps and [N, C] features only');
  if (ctx.node.outputs.slice(1).some((o) => o !== '')) ctx.fail('training-mode BatchNormalization (running statistics as outputs) is not supported');
  const [scale, offset, mean, variance] = [1, 2, 3, 4].map((i) => vector(float32Values(ctx.constant(i))));
  const layer = tfl.layers.batchNormalization({
    axis: -1,
    epsilon: ctx.attrFloat('epsilon', 1e-5),
    momentum: ctx.attrFloat('momentum', 0.9),
    name: ctx.layerName(),
  });
  return [symbolicValue(ctx.apply(layer, x.tensor, [scale, offset, mean, variance]), x.image)];
};

const relu: OpHandler = (ctx) => {
  const x = ctx.symbolic(0);
  return [symbolicValue(ctx.apply(tfl.layers.reLU({ name: ctx.layerName() }), x.tensor), x.image, true)];
};

const sigmoid: OpHandler = (ctx) => {
  const x = ctx.symbolic(0);
  return [symbolicValue(ctx.apply(tfl.layers.activation({ activation: 'sigmoid', name: ctx.layerName() }), x.tensor), x.image, true)];
};

const clip: OpHandler = (ctx) => {
  const x = ctx.symbolic(0);
  const bound = (input: number, attribute: string): number | null => {
    if (ctx.opset >= 11) {
      const c = ctx.optionalConstant(input);
      return c ? c.values[0] : null;
    }
    const v = ctx.attrFloat(attribute, NaN);
    return Number.isNaN(v) || Math.abs(v) >= 3.4e38 ? null : v;
  };
  const min = bound(1, 'min');
  const max = bound(2, 'max');
  const name = ctx.layerName();
  const layer = min === 0 ? tfl.layers.reLU({ name, ...(max !== null ? { maxValue: max } : {}) }) : new ClipValues({ min, max, name });
  return [symbolicValue(ctx.apply(layer, x.tensor), x.image, min !== null && min >= 0)];
};

const maxPool: OpHandler = (ctx) => {
  const x = image(ctx, 0);
  if (ctx.node.outputs.slice(1).some((o) => o !== '')) ctx.fail('the Indices output of MaxPool is not supported');
  const kernel = ctx.attrInts('kernel_shape', []);
  const { strides, dilations } = spatialAttrs(ctx, kernel);
  if (dilations.some((d) => d !== 1)) ctx.fail('dilated pooling is not supported');
  const pads = resolvePads(ctx, [x.tensor.shape[1], x.tensor.shape[2]], kernel, strides, dilations, ctx.attrInt('ceil_mode', 0) === 1);
  // Padding must never win the max: zero is enough after a ReLU, otherwise pad with the lowest float.
  const padded = padImage(ctx, x, pads, x.nonNegative ? 0 : LOWEST_FLOAT32);
  const layer = tfl.layers.maxPooling2d({ poolSize: kernel as [number, number], strides: strides as [number, number], padding: 'valid', name: ctx.layerName() });
  return [symbolicValue(ctx.apply(layer, padded.tensor), true, x.nonNegative)];
};

const averagePool: OpHandler = (ctx) => {
  const x = image(ctx, 0);
  const kernel = ctx.attrInts('kernel_shape', []);
  const { strides, dilations } = spatialAttrs(ctx, kernel);
  if (dilations.some((d) => d !== 1)) ctx.fail('dilated pooling is not supported');
  const size: [number | null, number | null] = [x.tensor.shape[1], x.tensor.shape[2]];
  const pads = resolvePads(ctx, size, kernel, strides, dilations, false);
  if (ctx.attrInt('ceil_mode', 0) === 1) {
    const withCeil = resolvePads(ctx, size, kernel, strides, dilations, true);
    if (withCeil.bottom !== pads.bottom || withCeil.right !== pads.right) ctx.fail('ceil_mode that adds a partial window is not supported for AveragePool');
  }
  const padded = pads.top + pads.bottom + pads.left + pads.right > 0;
  if (padded && ctx.attrInt('count_include_pad', 0) !== 1) {
    ctx.fail('padding excluded from the average (count_include_pad=0) is not supported; PyTorch exports count_include_pad=1 by default');
  }
  const input = padImage(ctx, x, pads, 0);
  const layer = tfl.layers.averagePooling2d({ poolSize: kernel as [number, number], strides: strides as [number, number], padding: 'valid', name: ctx.layerName() });
  return [symbolicValue(ctx.apply(layer, input.tensor), true, x.nonNegative)];
};

const globalAveragePool: OpHandler = (ctx) => {
  const x = image(ctx, 0);
  const pooled = ctx.apply(tfl.layers.globalAveragePooling2d({ name: ctx.layerName() }), x.tensor);
  // ONNX keeps [N, C, 1, 1]; so does the TF.js side, as [N, 1, 1, C].
  const kept = ctx.apply(tfl.layers.reshape({ targetShape: [1, 1, x.tensor.shape[3] as number], name: ctx.layerName('keepdims') }), pooled);
  return [symbolicValue(kept, true, x.nonNegative)];
};

/** Flattens to [N, features] in ONNX (NCHW) element order. */
function flattenValue(ctx: OpContext, x: SymbolicValue): SymbolicValue {
  if (!x.image) {
    if (x.tensor.shape.length === 2) return x;
    return symbolicValue(ctx.apply(tfl.layers.flatten({ name: ctx.layerName() }), x.tensor), false, x.nonNegative);
  }
  const [, h, w] = x.tensor.shape;
  let t = x.tensor;
  // NHWC flattens h-w-c; ONNX flattens c-h-w. Permute first unless there is a single pixel.
  if (h !== 1 || w !== 1) t = ctx.apply(tfl.layers.permute({ dims: [3, 1, 2], name: ctx.layerName('to_nchw') }), t);
  return symbolicValue(ctx.apply(tfl.layers.flatten({ name: ctx.layerName() }), t), false, x.nonNegative);
}

const flatten: OpHandler = (ctx) => {
  const axis = ctx.attrInt('axis', 1);
  if (axis !== 1) ctx.fail(`Flatten with axis=${axis} is not supported (only axis 1: [batch, features])`);
  return [flattenValue(ctx, ctx.symbolic(0))];
};

const reshape: OpHandler = (ctx) => {
  const x = ctx.symbolic(0);
  const target = Array.from(ctx.constant(1).values);
  const shape = onnxShape(x);
  const features = elementCount(shape.slice(1));
  // The batch: dynamic (NaN from Shape), 0 (copy), -1 (infer) or the fixed batch the model was exported with.
  const keepsBatch = Number.isNaN(target[0]) || target[0] === 0 || target[0] === -1 || target[0] === shape[0] || Number.isNaN(shape[0]);
  const describe = `from ${JSON.stringify(shape.map((d) => (Number.isNaN(d) ? 'N' : d)))} to ${JSON.stringify(target.map((d) => (Number.isNaN(d) ? 'N' : d)))}`;
  if (target.length === 2 && keepsBatch && (target[1] === -1 || target[1] === features) && !(target[0] === -1 && target[1] === -1)) {
    return [flattenValue(ctx, x)];
  }
  if (!x.image && keepsBatch && Number.isFinite(features)) {
    const rest = target.slice(1).map((d, i) => (d === 0 ? shape[i + 1] : d));
    const known = rest.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const resolved = rest.map((d) => (d === -1 ? features / known : d));
    if (elementCount(resolved) === features && resolved.every((d) => Number.isInteger(d) && d > 0)) {
      return [symbolicValue(ctx.apply(tfl.layers.reshape({ targetShape: resolved, name: ctx.layerName() }), x.tensor), false, x.nonNegative)];
    }
  }
  return ctx.fail(`Reshape ${describe} is not supported (only flattening a feature map to [batch, features] and reshaping features)`);
};

function features2d(ctx: OpContext, x: SymbolicValue): SymbolicValue {
  if (x.image || x.tensor.shape.length !== 2) ctx.fail(`expects [batch, features], got ${JSON.stringify(onnxShape(x))}; flatten first`);
  return x;
}

const gemm: OpHandler = (ctx) => {
  const a = features2d(ctx, ctx.symbolic(0));
  const b = ctx.constant(1);
  const c = ctx.optionalConstant(2);
  if (ctx.attrInt('transA', 0) !== 0) ctx.fail('transA=1 is not supported');
  if (b.dims.length !== 2) ctx.fail(`B of shape ${JSON.stringify(b.dims)} is not a matrix`);
  const transB = ctx.attrInt('transB', 0) === 1;
  const alpha = ctx.attrFloat('alpha', 1);
  const beta = ctx.attrFloat('beta', 1);
  const kernel = transB ? transposeMatrix(float32Values(b), b.dims[0], b.dims[1]) : { shape: [...b.dims], values: float32Values(b) };
  if (alpha !== 1) kernel.values = kernel.values.map((v) => v * alpha);
  const [inFeatures, units] = kernel.shape;
  if (a.tensor.shape[1] !== inFeatures) ctx.fail(`multiplies ${a.tensor.shape[1]} features by a ${inFeatures}x${units} matrix`);
  const weights = [kernel];
  if (c) {
    const values = float32Values(c);
    if (values.length !== 1 && values.length !== units) ctx.fail(`bias C of shape ${JSON.stringify(c.dims)} does not broadcast to [${units}]`);
    weights.push(vector(Float32Array.from({ length: units }, (_, i) => beta * values[values.length === 1 ? 0 : i])));
  }
  const layer = tfl.layers.dense({ units, useBias: c !== undefined, kernelInitializer: 'zeros', name: ctx.layerName() });
  return [symbolicValue(ctx.apply(layer, a.tensor, weights), false)];
};

const matMul: OpHandler = (ctx) => {
  const a = features2d(ctx, ctx.symbolic(0));
  const b = ctx.constant(1);
  if (b.dims.length !== 2 || b.dims[0] !== a.tensor.shape[1]) ctx.fail(`multiplies ${a.tensor.shape[1]} features by a matrix of shape ${JSON.stringify(b.dims)}`);
  const layer = tfl.layers.dense({ units: b.dims[1], useBias: false, kernelInitializer: 'zeros', name: ctx.layerName() });
  return [symbolicValue(ctx.apply(layer, a.tensor, [{ shape: [...b.dims], values: float32Values(b) }]), false)];
};

/** A constant in the layout of `x`, broadcast over the batch: NCHW constants become HWC. */
function constantFor(ctx: OpContext, c: ConstTensor, x: SymbolicValue, transform: (v: number) => number): WeightArray {
  const rank = x.image ? 4 : x.tensor.shape.length;
  if (c.dims.length > rank) ctx.fail(`constant of shape ${JSON.stringify(c.dims)} has more axes than the value it applies to`);
  const dims = [...new Array<number>(rank - c.dims.length).fill(1), ...c.dims];
  if (dims[0] !== 1) ctx.fail(`constant of shape ${JSON.stringify(c.dims)} varies over the batch`);
  const target = onnxShape(x);
  dims.forEach((d, i) => {
    if (d !== 1 && !Number.isNaN(target[i]) && d !== target[i]) ctx.fail(`constant of shape ${JSON.stringify(c.dims)} does not broadcast to ${JSON.stringify(target)}`);
  });
  const source = float32Values(c);
  if (!x.image) return { shape: dims.slice(1), values: source.map(transform) };
  const [, channels, height, width] = dims;
  const values = new Float32Array(source.length);
  for (let ch = 0; ch < channels; ch++) {
    for (let h = 0; h < height; h++) for (let w = 0; w < width; w++) values[(h * width + w) * channels + ch] = transform(source[(ch * height + h) * width + w]);
  }
  return { shape: [height, width, channels], values };
}

const binary: OpHandler = (ctx) => {
  const op = ctx.node.opType;
  const [a, b] = [ctx.value(0), ctx.value(1)];
  if (!a || !b) return ctx.fail('needs two inputs');
  if (a.kind === 'symbolic' && b.kind === 'symbolic') {
    if (a.image !== b.image || a.tensor.shape.length !== b.tensor.shape.length) ctx.fail(`operands of shapes ${JSON.stringify(onnxShape(a))} and ${JSON.stringify(onnxShape(b))} are not supported together`);
    const name = ctx.layerName();
    if (op === 'Add') return [symbolicValue(ctx.apply(tfl.layers.add({ name }), [a.tensor, b.tensor]), a.image, a.nonNegative && b.nonNegative)];
    if (op === 'Mul') return [symbolicValue(ctx.apply(tfl.layers.multiply({ name }), [a.tensor, b.tensor]), a.image, a.nonNegative && b.nonNegative)];
    return ctx.fail(`${op} of two computed tensors is not supported (only with a constant)`);
  }
  const [x, c] = (a.kind === 'symbolic' ? [a, b] : [b, a]) as [SymbolicValue, ConstantValue];
  if (a.kind !== 'symbolic' && (op === 'Sub' || op === 'Div')) ctx.fail(`constant ${op === 'Sub' ? 'minus' : 'divided by'} a computed tensor is not supported`);
  const operation = op === 'Add' || op === 'Sub' ? 'add' : 'multiply';
  const transform = op === 'Sub' ? (v: number) => -v : op === 'Div' ? (v: number) => 1 / v : (v: number) => v;
  const weight = constantFor(ctx, c.value, x, transform);
  const layer = new ElementwiseConstant({ operation, constantShape: weight.shape, name: ctx.layerName(), trainable: c.value.initializer !== undefined });
  const nonNegative = x.nonNegative && weight.values.every((v) => v >= 0);
  return [symbolicValue(ctx.apply(layer, x.tensor, [weight]), x.image, nonNegative)];
};

const concat: OpHandler = (ctx) => {
  const parts = ctx.node.inputs.map((_, i) => ctx.symbolic(i));
  const first = parts[0];
  const rank = first.image ? 4 : first.tensor.shape.length;
  if (parts.some((p) => p.image !== first.image || p.tensor.shape.length !== first.tensor.shape.length)) ctx.fail('concatenates values of different ranks');
  const raw = ctx.attrInt('axis', 1);
  const axis = raw < 0 ? raw + rank : raw;
  if (axis === 0) ctx.fail('concatenation along the batch axis is not supported');
  // NCHW axis -> NHWC axis: C(1) -> 3, H(2) -> 1, W(3) -> 2.
  const tfAxis = first.image ? [0, 3, 1, 2][axis] : axis;
  const layer = tfl.layers.concatenate({ axis: tfAxis, name: ctx.layerName() });
  return [symbolicValue(ctx.apply(layer, parts.map((p) => p.tensor)), first.image, parts.every((p) => p.nonNegative))];
};

const pad: OpHandler = (ctx) => {
  const x = image(ctx, 0);
  const mode = ctx.attrString('mode', 'constant');
  if (mode !== 'constant') ctx.fail(`Pad mode ${mode} is not supported (only constant)`);
  const pads = ctx.opset >= 11 ? Array.from(ctx.constant(1).values) : ctx.attrInts('pads', []);
  const value = ctx.opset >= 11 ? (ctx.optionalConstant(2)?.values[0] ?? 0) : ctx.attrFloat('value', 0);
  if (ctx.opset >= 18 && ctx.value(3)) ctx.fail('Pad with explicit axes is not supported');
  if (pads.length !== 8) ctx.fail(`pads ${JSON.stringify(pads)} do not cover the 4 axes of an NCHW tensor`);
  const [n0, c0, top, left, n1, c1, bottom, right] = pads;
  if (n0 || c0 || n1 || c1) ctx.fail('padding the batch or channel axis is not supported');
  if ([top, left, bottom, right].some((p) => p < 0)) ctx.fail('negative padding (cropping) is not supported');
  return [padImage(ctx, x, { top, bottom, left, right }, value, '')];
};

const softmax: OpHandler = (ctx) => {
  const x = features2d(ctx, ctx.symbolic(0));
  const axis = ctx.attrInt('axis', ctx.opset >= 13 ? -1 : 1);
  if (axis !== -1 && axis !== 1) ctx.fail(`Softmax over axis ${axis} of [batch, classes] is not supported`);
  return [symbolicValue(ctx.apply(tfl.layers.activation({ activation: 'softmax', name: ctx.layerName() }), x.tensor), false, true)];
};

const passThrough: OpHandler = (ctx) => {
  const x = ctx.value(0);
  if (!x) return ctx.fail('has no input');
  return [x];
};

/** The supported operators (besides the constant ones folded at import time). */
export const OPERATORS: Record<string, OpHandler> = {
  Conv: conv,
  BatchNormalization: batchNormalization,
  Relu: relu,
  Clip: clip,
  Sigmoid: sigmoid,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  Add: binary,
  Sub: binary,
  Mul: binary,
  Div: binary,
  Flatten: flatten,
  Reshape: reshape,
  Gemm: gemm,
  MatMul: matMul,
  Concat: concat,
  Pad: pad,
  Softmax: softmax,
  Identity: passThrough,
  Dropout: passThrough,
};
