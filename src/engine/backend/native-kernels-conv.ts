// Convolution kernels of the native backend: Conv2D and FusedConv2D forward, both gradients, and the
// depthwise family, all through oneDNN (native/src/conv.cc). Cases the addon does not take (prelu, odd bias
// shapes, non-float data) run the cpu kernel.
import {
  backend_util, Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput, DepthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropInput, FusedConv2D, FusedDepthwiseConv2D,
  util, type KernelConfig, type KernelFunc, type NamedAttrMap, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { NATIVE_BACKEND_NAME, type NativeBackend, cpuKernel } from './native-backend';
import { activationCode } from './native-activation';
import { convOutput, fusableConv, fusionAllowed } from './native-fusion';

type Conv2DInfo = backend_util.Conv2DInfo;
type PadValue = number | 'same' | 'valid' | backend_util.ExplicitPadding;
type RoundingMode = 'floor' | 'round' | 'ceil' | undefined;

/** The addon's conv parameter list, or undefined when oneDNN cannot express this padding (rare explicit pads). */
export function convParams(info: Conv2DInfo, depthwise: boolean, activation: number): number[] | undefined {
  const effectiveH = (info.filterHeight - 1) * info.dilationHeight + 1;
  const effectiveW = (info.filterWidth - 1) * info.dilationWidth + 1;
  const { top, left } = info.padInfo;
  // oneDNN derives the output size with floor division from the padding; pick the bottom/right padding that
  // gives tfjs's output size (tfjs's own value does for 'same' and 'valid').
  const fit = (inSize: number, effective: number, before: number, after: number, stride: number, out: number): number =>
    Math.floor((inSize - effective + before + after) / stride) + 1 === out ? after : (out - 1) * stride + effective - inSize - before;
  const bottom = fit(info.inHeight, effectiveH, top, info.padInfo.bottom, info.strideHeight, info.outHeight);
  const right = fit(info.inWidth, effectiveW, left, info.padInfo.right, info.strideWidth, info.outWidth);
  if (top < 0 || left < 0 || bottom < 0 || right < 0) return undefined;
  return [
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
    top, left, bottom, right, depthwise ? 1 : 0, info.dataFormat === 'channelsFirst' ? 1 : 0, activation,
  ];
}

function dataFormatOf(attrs: NamedAttrMap): 'channelsLast' | 'channelsFirst' {
  return backend_util.convertConv2DDataFormat((attrs.dataFormat as 'NHWC' | 'NCHW' | undefined) ?? 'NHWC');
}

function dilationsOf(attrs: NamedAttrMap): [number, number] | number {
  return (attrs.dilations as [number, number] | number | undefined) ?? [1, 1];
}

function forwardKernel(kernelName: string, depthwise: boolean, fused: boolean): KernelFunc {
  const fallback = cpuKernel(kernelName);
  return (args) => {
    const backend = args.backend as NativeBackend;
    const attrs = args.attrs ?? {};
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    if (x === undefined || filter === undefined) return fallback(args);
    const xValues = backend.floatValues(x);
    const filterValues = backend.floatValues(filter);
    const activation = fused ? activationCode(attrs.activation as string | undefined) : 0;
    if (xValues === undefined || filterValues === undefined || activation === undefined || preluActivationWeights !== undefined) {
      return fallback(args);
    }
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
      attrs.strides as [number, number] | number, dilationsOf(attrs), attrs.pad as PadValue,
      attrs.dimRoundingMode as RoundingMode, depthwise, depthwise ? 'channelsLast' : dataFormatOf(attrs));
    let biasValues: Float32Array | null = null;
    if (bias !== undefined) {
      const values = backend.floatValues(bias);
      if (values === undefined || values.length !== info.outChannels || bias.shape.length !== 1) return fallback(args);
      biasValues = values;
    }
    const params = convParams(info, depthwise, activation);
    if (params === undefined) return fallback(args);
    const alpha = (attrs.leakyreluAlpha as number | undefined) ?? 0.2;
    if (fusableConv(params) && fusionAllowed()) {
      // Inference and input gradients: a following batch norm and ReLU may fold into this convolution (native-fusion.ts).
      return convOutput(backend, { kind: 'pendingConv', x: xValues, filter: filterValues, bias: biasValues, params, alpha, outShape: info.outShape });
    }
    const y = backend.allocate(util.sizeFromShape(info.outShape));
    backend.addon.conv2dForward(xValues, filterValues, biasValues, y, params, alpha, backend.bufferId(filterValues));
    return backend.output(info.outShape, y);
  };
}

function backwardInputKernel(kernelName: string, depthwise: boolean): KernelFunc {
  const fallback = cpuKernel(kernelName);
  return (args) => {
    const backend = args.backend as NativeBackend;
    const attrs = args.attrs ?? {};
    const { dy, filter } = args.inputs as Record<string, TensorInfo>;
    const dyValues = backend.floatValues(dy);
    const filterValues = backend.floatValues(filter);
    if (dyValues === undefined || filterValues === undefined) return fallback(args);
    const inputShape = attrs.inputShape as [number, number, number, number];
    const info = backend_util.computeConv2DInfo(
      inputShape, filter.shape as [number, number, number, number], attrs.strides as [number, number] | number,
      depthwise ? dilationsOf(attrs) : 1, attrs.pad as PadValue, attrs.dimRoundingMode as RoundingMode, depthwise,
      depthwise ? 'channelsLast' : dataFormatOf(attrs));
    const params = convParams(info, depthwise, 0);
    if (params === undefined) return fallback(args);
    // Deferred like the filter gradient: in training, tfjs's fused convolution gradient also asks for the
    // first layer's input gradient, which nothing reads.
    return backend.deferredOutput(info.inShape, [dyValues, filterValues], () => {
      const dx = backend.allocate(util.sizeFromShape(info.inShape));
      backend.addon.conv2dBackwardInput(dyValues, filterValues, dx, params, backend.bufferId(filterValues));
      return dx;
    });
  };
}

function backwardFilterKernel(kernelName: string, depthwise: boolean): KernelFunc {
  const fallback = cpuKernel(kernelName);
  return (args) => {
    const backend = args.backend as NativeBackend;
    const attrs = args.attrs ?? {};
    const { x, dy } = args.inputs as Record<string, TensorInfo>;
    const xValues = backend.floatValues(x);
    const dyValues = backend.floatValues(dy);
    if (xValues === undefined || dyValues === undefined) return fallback(args);
    const filterShape = attrs.filterShape as [number, number, number, number];
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number], filterShape, attrs.strides as [number, number] | number,
      depthwise ? dilationsOf(attrs) : 1, attrs.pad as PadValue, attrs.dimRoundingMode as RoundingMode, depthwise,
      depthwise ? 'channelsLast' : dataFormatOf(attrs));
    const params = convParams(info, depthwise, 0);
    if (params === undefined) return fallback(args);
    // Deferred: see NativeBackend.deferredOutput (unread when only the input gradient is wanted).
    return backend.deferredOutput(filterShape, [xValues, dyValues], () => {
      const dw = backend.allocate(util.sizeFromShape(filterShape));
      backend.addon.conv2dBackwardFilter(xValues, dyValues, dw, params);
      return dw;
    });
  };
}

/** Kernel configs for the convolution family. */
export function convKernelConfigs(): KernelConfig[] {
  const make = (kernelName: string, kernelFunc: KernelFunc): KernelConfig => ({ kernelName, backendName: NATIVE_BACKEND_NAME, kernelFunc });
  return [
    make(Conv2D, forwardKernel(Conv2D, false, false)),
    make(FusedConv2D, forwardKernel(FusedConv2D, false, true)),
    make(Conv2DBackpropInput, backwardInputKernel(Conv2DBackpropInput, false)),
    make(Conv2DBackpropFilter, backwardFilterKernel(Conv2DBackpropFilter, false)),
    make(DepthwiseConv2dNative, forwardKernel(DepthwiseConv2dNative, true, false)),
    make(FusedDepthwiseConv2D, forwardKernel(FusedDepthwiseConv2D, true, true)),
    make(DepthwiseConv2dNativeBackpropInput, backwardInputKernel(DepthwiseConv2dNativeBackpropInput, true)),
    make(DepthwiseConv2dNativeBackpropFilter, backwardFilterKernel(DepthwiseConv2dNativeBackpropFilter, true)),
  ];
}
