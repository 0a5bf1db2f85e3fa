import type * as tfl from '@tensorflow/tfjs-layers';
import type { ConstTensor } from './onnx-constants';
import type { OnnxNode } from './onnx-model';
import type { WeightArray } from './weight-layout';

/**
 * What an operator handler sees: its node, its inputs as graph values, and helpers that create layers.
 * Images travel NHWC inside the TF.js graph while ONNX describes them NCHW; `image` marks such values so
 * every handler maps axes (and Flatten/Reshape their element order) correctly.
 */

/** A tensor computed by the TF.js graph. */
export interface SymbolicValue {
  kind: 'symbolic';
  tensor: tfl.SymbolicTensor;
  /** A 4-D feature map: ONNX [N, C, H, W], held as TF.js [N, H, W, C]. Other values keep ONNX axis order. */
  image: boolean;
  /** Known to hold no negative value (after ReLU/Sigmoid): zero padding then equals -inf padding for max pooling. */
  nonNegative: boolean;
}

export interface ConstantValue {
  kind: 'constant';
  value: ConstTensor;
}

export type GraphValue = SymbolicValue | ConstantValue;

export interface OpContext {
  node: OnnxNode;
  opset: number;
  /** Throws an AuditError naming the file, the node and its operator. */
  fail(message: string): never;
  /** Input `i`, which must be a graph tensor. */
  symbolic(i: number): SymbolicValue;
  /** Input `i`, which must be a constant (an initialiser or folded). */
  constant(i: number): ConstTensor;
  /** Input `i` when given (ONNX marks omitted optional inputs with an empty name). */
  value(i: number): GraphValue | undefined;
  optionalConstant(i: number): ConstTensor | undefined;
  attrInt(name: string, fallback: number): number;
  attrInts(name: string, fallback: number[]): number[];
  attrFloat(name: string, fallback: number): number;
  attrString(name: string, fallback: string): string;
  /** A unique layer name derived from the node's name, with an optional suffix. */
  layerName(suffix?: string): string;
  /** Applies `layer` and queues `weights` (TF.js layout) to be set once the model is built. */
  apply(layer: tfl.layers.Layer, inputs: tfl.SymbolicTensor | tfl.SymbolicTensor[], weights?: WeightArray[]): tfl.SymbolicTensor;
}

/** One operator: returns the values of the node's outputs, in order. */
export type OpHandler = (ctx: OpContext) => GraphValue[];

/** A symbolic value with the given flags. */
export function symbolicValue(tensor: tfl.SymbolicTensor, image: boolean, nonNegative = false): SymbolicValue {
  return { kind: 'symbolic', tensor, image, nonNegative };
}

/** ONNX-order shape of a symbolic value (batch as NaN, unknown dims as NaN). */
export function onnxShape(value: SymbolicValue): number[] {
  const shape = value.tensor.shape.map((d) => (d == null ? NaN : d));
  return value.image ? [shape[0], shape[3], shape[1], shape[2]] : shape;
}

/** Float32 values of a constant (integer constants are held as float64). */
export function float32Values(t: ConstTensor): Float32Array {
  return t.values instanceof Float32Array ? t.values : Float32Array.from(t.values);
}
