// Inference-time fusion on the native backend. Outside gradient recording (and inside withInputGradientsOnly,
// see fusionAllowed), a convolution's output is deferred
// (NativeBackend.deferredOutput) with a PendingConv tag; when its first consumer is a batch normalisation
// (fixed statistics) the BN is folded into the convolution's filter and bias, and when the next consumer is a
// ReLU it becomes the convolution's oneDNN post-op: conv -> BN -> ReLU runs as one convolution instead of
// three passes over the activations. A pending output that something else reads is computed then, as it would
// have been, so results only change by the rounding of the folded weights.
import { engine, type TensorInfo } from '@tensorflow/tfjs-core';
import { filterGradientsWanted } from './kernels/input-gradients-only';
import type { NativeBackend } from './native-backend';

/** Index of the activation code in the addon's conv parameter list (native/src/conv.cc, ConvShape). */
const ACTIVATION_PARAM = 19;
/** Index of the channels-first flag and of the depthwise flag in that list. */
const CHANNELS_FIRST_PARAM = 18;
const DEPTHWISE_PARAM = 17;
const RELU_CODE = 1;
/** The addon's BinaryOp code for multiplication (native/src/elementwise.cc). */
const MULTIPLY_OP = 2;

/** A regular NHWC convolution not computed yet: what a consumer may fold into its own call. */
export interface PendingConv {
  readonly kind: 'pendingConv';
  readonly x: Float32Array;
  readonly filter: Float32Array;
  readonly bias: Float32Array | null;
  readonly params: readonly number[];
  readonly alpha: number;
  readonly outShape: number[];
}

/** True while tfjs records a gradient tape. */
export function recordingGradients(): boolean {
  return engine().state.gradientDepth > 0;
}

/**
 * Whether convolutions may be deferred and fused now: outside gradient recording, and inside
 * withInputGradientsOnly (strong stimuli, input gradients), where no parameter gets a gradient. There the
 * backward pass never reads the unfused intermediates: ReLU's gradient takes its mask from its output and
 * batch norm's input gradient needs only its statistics (native-gradients.ts). While training, the
 * gradients of the batch-norm parameters would read the convolution's output and compute it a second time.
 * Either way results are right: a pending output that something reads is computed then.
 */
export function fusionAllowed(): boolean {
  return !recordingGradients() || !filterGradientsWanted();
}

export function isPendingConv(tag: unknown): tag is PendingConv {
  return typeof tag === 'object' && tag !== null && (tag as { kind?: unknown }).kind === 'pendingConv';
}

/** Whether a convolution with these parameters may be deferred for fusion. */
export function fusableConv(params: readonly number[]): boolean {
  return params[DEPTHWISE_PARAM] === 0 && params[CHANNELS_FIRST_PARAM] === 0 && params[ACTIVATION_PARAM] === 0;
}

/** Runs a pending convolution into a new buffer. */
export function runPendingConv(backend: NativeBackend, conv: PendingConv): Float32Array {
  let size = 1;
  for (const d of conv.outShape) size *= d;
  const y = backend.allocate(size);
  backend.addon.conv2dForward(conv.x, conv.filter, conv.bias, y, conv.params as number[], conv.alpha, backend.bufferId(conv.filter));
  return y;
}

/** The output of a convolution: deferred with its PendingConv tag, or computed now when recording gradients. */
export function convOutput(backend: NativeBackend, conv: PendingConv): TensorInfo {
  const inputs = conv.bias === null ? [conv.x, conv.filter] : [conv.x, conv.filter, conv.bias];
  return backend.deferredOutput(conv.outShape, inputs, () => runPendingConv(backend, conv), conv);
}

/** The pending convolution behind a tensor, when it may still be fused (its values never read). */
export function pendingConvOf(backend: NativeBackend, x: TensorInfo): PendingConv | undefined {
  if (!fusionAllowed()) return undefined;
  const tag = backend.pendingTag(x);
  return isPendingConv(tag) && tag.params[ACTIVATION_PARAM] === 0 ? tag : undefined;
}

/** The same convolution with a ReLU post-op. */
export function withRelu(conv: PendingConv): PendingConv {
  const params = [...conv.params];
  params[ACTIVATION_PARAM] = RELU_CODE;
  return { ...conv, params };
}

interface Folded {
  key: string;
  filter: Float32Array;
  bias: Float32Array;
}

/** Folded filters by original filter buffer: with fixed weights and statistics, each is folded once. */
const foldedFilters = new WeakMap<Float32Array, Folded>();

/** A per-channel parameter of 1 or `channels` values; null gives `fallback`. */
function channelValue(values: Float32Array | null, c: number, fallback: number): number {
  if (values === null) return fallback;
  return values.length === 1 ? values[0] : values[c];
}

/**
 * conv followed by y = offset + (x - mean) * scale / sqrt(variance + epsilon), as one convolution: filter
 * times the per-channel multiplier, bias (bias - mean) * multiplier + offset.
 */
export function foldBatchNorm(
  backend: NativeBackend, conv: PendingConv, mean: Float32Array, variance: Float32Array, offset: Float32Array | null,
  scale: Float32Array | null, epsilon: number,
): PendingConv {
  const channels = conv.outShape[conv.outShape.length - 1];
  const ids = [conv.filter, conv.bias, mean, variance, offset, scale].map((v) => (v === null ? 0 : backend.bufferId(v)));
  const key = `${ids.join(',')},${epsilon}`;
  let folded = foldedFilters.get(conv.filter);
  if (folded === undefined || folded.key !== key) {
    const multiplier = new Float32Array(channels);
    const bias = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      // The same float32 steps as the native batch-norm kernel.
      const m = Math.fround(channelValue(scale, c, 1) / Math.fround(Math.sqrt(Math.fround(channelValue(variance, c, 1) + epsilon))));
      multiplier[c] = m;
      bias[c] = Math.fround(channelValue(offset, c, 0) + Math.fround(Math.fround((conv.bias === null ? 0 : conv.bias[c]) - channelValue(mean, c, 0)) * m));
    }
    const filter = new Float32Array(conv.filter.length);
    backend.addon.binary(MULTIPLY_OP, conv.filter, [conv.filter.length / channels, channels], multiplier, [channels], filter, null);
    folded = { key, filter, bias };
    foldedFilters.set(conv.filter, folded);
  }
  return { ...conv, filter: folded.filter, bias: folded.bias };
}
