import { AuditError } from '../util/errors';
import { elementCount } from './checkpoint-tensor';
import { decodeToFloat32, type ElementType } from './element-types';
import { ProtoMessage, WireFormatError } from './protobuf-wire';

/**
 * The parts of onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto) that a CNN classifier uses, decoded from the wire format. Field numbers follow
 * onnx/onnx.proto; anything else in the file is skipped.
 */

/** A constant tensor: an initialiser, a Constant node's value, or an attribute. */
export interface OnnxTensor {
  name: string;
  dims: number[];
  /** TensorProto.DataType name, e.g. `FLOAT`, `INT64`. */
  dataType: string;
  /** Float values as float32; integer values (shapes, axes) as exact float64. */
  values: Float32Array | Float64Array;
}

export interface OnnxAttribute {
  name: string;
  float?: number;
  int?: number;
  string?: string;
  tensor?: OnnxTensor;
  floats: number[];
  ints: number[];
  /** The attribute holds a subgraph (If/Loop bodies): such nodes are refused. */
  hasGraph: boolean;
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

/** A graph input or output: name, element type and dims (a number, a symbolic name, or null when unknown). */
export interface OnnxValueInfo {
  name: string;
  elementType: string;
  dims: (number | string | null)[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  producer: string;
  /** Opset of the default (`ai.onnx`) domain. */
  opset: number;
  graph: OnnxGraph;
}

/** TensorProto.DataType codes -> names, and how each converts. */
const DATA_TYPES: Record<number, { name: string; element?: ElementType; integer: boolean }> = {
  1: { name: 'FLOAT', element: 'float32', integer: false },
  2: { name: 'UINT8', element: 'uint8', integer: true },
  3: { name: 'INT8', element: 'int8', integer: true },
  4: { name: 'UINT16', element: 'uint16', integer: true },
  5: { name: 'INT16', element: 'int16', integer: true },
  6: { name: 'INT32', element: 'int32', integer: true },
  7: { name: 'INT64', element: 'int64', integer: true },
  8: { name: 'STRING', integer: false },
  9: { name: 'BOOL', element: 'bool', integer: true },
  10: { name: 'FLOAT16', element: 'float16', integer: false },
  11: { name: 'DOUBLE', element: 'float64', integer: false },
  12: { name: 'UINT32', element: 'uint32', integer: true },
  13: { name: 'UINT64', element: 'uint64', integer: true },
  14: { name: 'COMPLEX64', integer: false },
  15: { name: 'COMPLEX128', integer: false },
  16: { name: 'BFLOAT16', element: 'bfloat16', integer: false },
  17: { name: 'FLOAT8E4M3FN', element: 'float8_e4m3fn', integer: false },
  19: { name: 'FLOAT8E5M2', element: 'float8_e5m2', integer: false },
};

/** Parses an ONNX model file; throws `AuditError` naming `file` when it is not one or cannot be read. */
export function readOnnxModel(bytes: Uint8Array, file: string): OnnxModel {
  try {
    const model = new ProtoMessage(bytes);
    const graph = model.message(7);
    if (!graph || !model.has(1)) {
      throw new AuditError('is not an ONNX model (no ir_version or graph field)', { file, code: 'BAD_CHECKPOINT' });
    }
    let opset = 0;
    for (const entry of model.messages(8)) {
      const domain = entry.string(1);
      if (domain === '' || domain === 'ai.onnx') opset = entry.int(2);
    }
    return { irVersion: model.int(1), producer: `${model.string(2)} ${model.string(3)}`.trim(), opset, graph: readGraph(graph, file) };
  } catch (e) {
    if (e instanceof WireFormatError) throw new AuditError(`is not a readable ONNX protobuf: ${e.message}`, { file, code: 'BAD_CHECKPOINT', cause: e });
    throw e;
  }
}

function readGraph(graph: ProtoMessage, file: string): OnnxGraph {
  if (graph.has(15)) throw new AuditError('uses sparse initialisers, which are not supported', { file, code: 'UNSUPPORTED_MODEL' });
  const initializers = new Map<string, OnnxTensor>();
  for (const t of graph.messages(5)) {
    const tensor = readTensor(t, file);
    initializers.set(tensor.name, tensor);
  }
  return {
    name: graph.string(2),
    nodes: graph.messages(1).map((n) => readNode(n, file)),
    initializers,
    inputs: graph.messages(11).map(readValueInfo),
    outputs: graph.messages(12).map(readValueInfo),
  };
}

function readNode(node: ProtoMessage, file: string): OnnxNode {
  const attributes = new Map<string, OnnxAttribute>();
  for (const a of node.messages(5)) {
    const attribute: OnnxAttribute = {
      name: a.string(1),
      floats: a.floats(7),
      ints: a.ints(8),
      hasGraph: a.has(6) || a.has(11),
    };
    if (a.has(2)) attribute.float = a.float(2);
    if (a.has(3)) attribute.int = a.int(3);
    if (a.has(4)) attribute.string = a.string(4);
    const tensor = a.message(5);
    if (tensor) attribute.tensor = readTensor(tensor, file);
    attributes.set(attribute.name, attribute);
  }
  return { name: node.string(3), opType: node.string(4), domain: node.string(7), inputs: node.strings(1), outputs: node.strings(2), attributes };
}

function readValueInfo(info: ProtoMessage): OnnxValueInfo {
  const tensorType = info.message(2)?.message(1);
  const dims = (tensorType?.message(2)?.messages(1) ?? []).map((d) => (d.has(1) ? d.int(1) : d.has(2) ? d.string(2) : null));
  return { name: info.string(1), elementType: DATA_TYPES[tensorType?.int(1) ?? 0]?.name ?? 'UNDEFINED', dims };
}

/** TensorProto: values from raw_data (little-endian) or the typed repeated fields. */
export function readTensor(t: ProtoMessage, file: string): OnnxTensor {
  const name = t.string(8);
  const dims = t.ints(1);
  const code = t.int(2);
  const type = DATA_TYPES[code];
  const what = `tensor "${name}"`;
  if (t.int(14) === 1 || t.has(13)) {
    throw new AuditError(
      `${what} keeps its data in an external file; external data is not supported: save the model as one file ` +
        '(onnx.save_model(model, path, save_as_external_data=False))',
      { file, code: 'UNSUPPORTED_MODEL' },
    );
  }
  if (!type?.element) throw new AuditError(`${what} has data type ${type?.name ?? code}, which cannot be converted to numbers`, { file, code: 'UNSUPPORTED_MODEL' });
  if (t.has(3)) throw new AuditError(`${what} is segmented, which is not supported`, { file, code: 'UNSUPPORTED_MODEL' });
  const count = elementCount(dims);
  const raw = t.bytes(9);
  let values: Float32Array | Float64Array;
  if (raw) {
    const floats = decodeToFloat32Checked(raw, type.element, count, what, file);
    values = type.integer ? exactIntegers(raw, type.element, count, floats) : floats;
  } else if (type.element === 'float32') values = t.floatArray(4);
  else if (type.element === 'float64') values = Float64Array.from(t.doubles(10));
  else if (type.element === 'int64') values = Float64Array.from(t.ints(7));
  else if (type.element === 'uint32' || type.element === 'uint64') values = Float64Array.from(t.ints(11));
  else if (type.element === 'float16' || type.element === 'bfloat16') {
    // 16-bit floats travel as their bit patterns in int32_data.
    const bits = t.ints(5);
    const bytes = new Uint8Array(bits.length * 2);
    bits.forEach((b, i) => new DataView(bytes.buffer).setUint16(i * 2, b, true));
    values = decodeToFloat32Checked(bytes, type.element, bits.length, what, file);
  } else if (type.integer) values = Float64Array.from(t.ints(5));
  else values = new Float32Array(t.ints(5));
  if (values.length !== count) {
    throw new AuditError(`${what} has ${values.length} values but its dims ${JSON.stringify(dims)} need ${count}`, { file, code: 'BAD_CHECKPOINT' });
  }
  return { name, dims, dataType: type.name, values };
}

function decodeToFloat32Checked(raw: Uint8Array, element: ElementType, count: number, what: string, file: string): Float32Array {
  try {
    return decodeToFloat32(raw, element, count);
  } catch {
    throw new AuditError(`${what} has ${raw.byteLength} bytes of raw data, which does not fit its dims and type`, { file, code: 'BAD_CHECKPOINT' });
  }
}

/** int64 values such as shapes must stay exact (float32 would round them above 2^24). */
function exactIntegers(raw: Uint8Array, element: ElementType, count: number, floats: Float32Array): Float64Array {
  if (element !== 'int64' && element !== 'uint64' && element !== 'uint32' && element !== 'int32') return Float64Array.from(floats);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    if (element === 'int64') out[i] = Number(view.getBigInt64(i * 8, true));
    else if (element === 'uint64') out[i] = Number(view.getBigUint64(i * 8, true));
    else if (element === 'uint32') out[i] = view.getUint32(i * 4, true);
    else out[i] = view.getInt32(i * 4, true);
  }
  return out;
}
