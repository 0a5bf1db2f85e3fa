import { AuditError } from '../util/errors';
import type { StateDict } from './checkpoint-tensor';
import type { OnnxModel, OnnxTensor } from './onnx-model';

/**
 * Imported models always take RGB input, like every other model in the engine: a checkpoint trained on
 * BGR input (Caffe-style) gets its first convolution's input channels reversed instead, which is exact.
 */

/** Reverses axis 1 (input channels) of an OIHW kernel. */
function reverseInputChannels(values: Float32Array, shape: readonly number[]): Float32Array {
  const [o, i, h, w] = shape;
  const plane = h * w;
  const out = new Float32Array(values.length);
  for (let oo = 0; oo < o; oo++) {
    for (let ii = 0; ii < i; ii++) out.set(values.subarray((oo * i + ii) * plane, (oo * i + ii + 1) * plane), (oo * i + (i - 1 - ii)) * plane);
  }
  return out;
}

/** A copy of `stateDict` whose stem conv (`conv1.weight`) reads RGB where it read BGR. */
export function stateDictToRgb(stateDict: StateDict, stemKey: string): StateDict {
  const stem = stateDict.get(stemKey);
  if (!stem) throw new Error(`stateDictToRgb: ${stemKey} missing`);
  const copy: StateDict = new Map(stateDict);
  copy.set(stemKey, { ...stem, values: reverseInputChannels(stem.values, stem.shape) });
  return copy;
}

/**
 * A copy of `onnx` whose input convolution reads RGB where it read BGR. Only possible when the input
 * feeds one Conv with a constant kernel directly; otherwise an `AuditError` naming `file`.
 */
export function onnxToRgb(onnx: OnnxModel, file: string): OnnxModel {
  const { graph } = onnx;
  const inputName = graph.inputs.find((i) => !graph.initializers.has(i.name))?.name;
  const consumers = graph.nodes.filter((n) => inputName !== undefined && n.inputs.includes(inputName));
  const conv = consumers[0];
  const kernel = conv ? graph.initializers.get(conv.inputs[1]) : undefined;
  const group = conv?.attributes.get('group')?.int ?? 1;
  if (consumers.length !== 1 || conv.opType !== 'Conv' || conv.inputs[0] !== inputName || !kernel || kernel.dims.length !== 4 || group !== 1) {
    throw new AuditError('channel order bgr needs the input to feed a single convolution directly, so its kernel can be reordered; this graph does not', {
      file,
      code: 'BAD_OPTIONS',
    });
  }
  const reordered: OnnxTensor = { ...kernel, values: reverseInputChannels(Float32Array.from(kernel.values), kernel.dims) };
  const initializers = new Map(graph.initializers);
  initializers.set(kernel.name, reordered);
  return { ...onnx, graph: { ...graph, initializers } };
}
