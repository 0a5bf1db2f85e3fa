import { elementCount } from './checkpoint-tensor';
import type { OnnxNode, OnnxTensor } from './onnx-model';

/**
 * Constant folding for the shape arithmetic exporters emit around a model's real layers (PyTorch writes
 * `x.view(x.size(0), -1)` as Shape -> Gather -> Unsqueeze -> Concat -> Reshape, and `F.pad` as a dozen
 * nodes computing the pads). These ops run here on small arrays at import time; none becomes a layer.
 * The dynamic batch dimension is NaN: it survives gathering and concatenation, and Reshape reads it as
 * "keep the batch".
 */

/** A constant value in ONNX layout. `initializer` names the initialiser it came from, if any. */
export interface ConstTensor {
  dims: number[];
  values: Float32Array | Float64Array;
  isFloat: boolean;
  initializer?: string;
}

/** Ops this module can evaluate when all their inputs are constants. */
export const FOLDABLE_OPS = new Set([
  'Constant', 'Identity', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Reshape', 'Slice', 'Transpose', 'Cast',
  'ConstantOfShape', 'Add', 'Sub', 'Mul', 'Div', 'Flatten',
]);

/** Raised for a constant op it cannot evaluate; the converter adds the file and node. */
export class FoldError extends Error {}

const INTEGER_TYPES = new Set([2, 3, 4, 5, 6, 7, 9, 12, 13]);

/** From an initialiser or attribute tensor. */
export function constFromOnnx(tensor: OnnxTensor, initializer?: string): ConstTensor {
  return { dims: [...tensor.dims], values: tensor.values, isFloat: tensor.values instanceof Float32Array, initializer };
}

/** A 1-D integer constant. */
export function intConst(values: number[]): ConstTensor {
  return { dims: [values.length], values: Float64Array.from(values), isFloat: false };
}

/** Evaluates `node` on constant inputs (`undefined` for an omitted optional input). */
export function foldConstantNode(node: OnnxNode, inputs: (ConstTensor | undefined)[], opset: number): ConstTensor[] {
  const attr = node.attributes;
  const need = (i: number): ConstTensor => {
    const t = inputs[i];
    if (!t) throw new FoldError(`input ${i} is missing`);
    return t;
  };
  const ints = (i: number, attribute: string): number[] | undefined =>
    inputs[i] ? Array.from(need(i).values) : attr.has(attribute) ? attr.get(attribute)?.ints : undefined;
  switch (node.opType) {
    case 'Constant':
      return [constantValue(node)];
    case 'Identity':
      return [need(0)];
    case 'Cast': {
      const to = attr.get('to')?.int ?? 1;
      const x = need(0);
      if (INTEGER_TYPES.has(to)) return [{ dims: x.dims, values: Float64Array.from(x.values, (v) => (to === 9 ? (v !== 0 ? 1 : 0) : Math.trunc(v))), isFloat: false }];
      return [{ dims: x.dims, values: Float32Array.from(x.values), isFloat: true }];
    }
    case 'ConstantOfShape': {
      const dims = Array.from(need(0).values);
      const value = attr.get('value')?.tensor;
      const fill = value ? value.values[0] : 0;
      const isFloat = value ? value.values instanceof Float32Array : true;
      const count = elementCount(dims);
      return [{ dims, values: isFloat ? new Float32Array(count).fill(fill) : new Float64Array(count).fill(fill), isFloat }];
    }
    case 'Gather':
      return [gather(need(0), need(1), attr.get('axis')?.int ?? 0)];
    case 'Unsqueeze': {
      const x = need(0);
      const axes = (opset >= 13 ? ints(1, '') : attr.get('axes')?.ints) ?? [];
      const rank = x.dims.length + axes.length;
      const normalized = axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
      const dims = [...x.dims];
      for (const a of normalized) dims.splice(a, 0, 1);
      return [{ ...x, dims, initializer: undefined }];
    }
    case 'Squeeze': {
      const x = need(0);
      const axes = (opset >= 13 ? ints(1, '') : attr.get('axes')?.ints)?.map((a) => (a < 0 ? a + x.dims.length : a));
      return [{ ...x, dims: x.dims.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)), initializer: undefined }];
    }
    case 'Concat':
      return [concat(inputs.filter((t): t is ConstTensor => t !== undefined), attr.get('axis')?.int ?? 0)];
    case 'Reshape': {
      const x = need(0);
      return [{ ...x, dims: reshapeDims(x.dims, Array.from(need(1).values), x.values.length), initializer: undefined }];
    }
    case 'Flatten': {
      const x = need(0);
      const axis = attr.get('axis')?.int ?? 1;
      const a = axis < 0 ? axis + x.dims.length : axis;
      return [{ ...x, dims: [elementCount(x.dims.slice(0, a)), elementCount(x.dims.slice(a))], initializer: undefined }];
    }
    case 'Transpose': {
      const x = need(0);
      const perm = attr.get('perm')?.ints ?? x.dims.map((_, i) => x.dims.length - 1 - i);
      return [transpose(x, perm)];
    }
    case 'Slice': {
      const x = need(0);
      const starts = opset >= 10 ? ints(1, '') : attr.get('starts')?.ints;
      const ends = opset >= 10 ? ints(2, '') : attr.get('ends')?.ints;
      if (!starts || !ends) throw new FoldError('Slice without starts/ends');
      const axes = (opset >= 10 ? ints(3, '') : attr.get('axes')?.ints) ?? starts.map((_, i) => i);
      const steps = (opset >= 10 ? ints(4, '') : undefined) ?? starts.map(() => 1);
      return [slice(x, starts, ends, axes, steps)];
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      return [elementwise(node.opType, need(0), need(1))];
    default:
      throw new FoldError(`${node.opType} cannot be evaluated on constants`);
  }
}

function constantValue(node: OnnxNode): ConstTensor {
  const attr = node.attributes;
  const tensor = attr.get('value')?.tensor;
  if (tensor) return constFromOnnx(tensor);
  const f = attr.get('value_float')?.float;
  if (f !== undefined) return { dims: [], values: Float32Array.of(f), isFloat: true };
  const floats = attr.get('value_floats')?.floats;
  if (floats && attr.has('value_floats')) return { dims: [floats.length], values: Float32Array.from(floats), isFloat: true };
  const i = attr.get('value_int')?.int;
  if (i !== undefined) return { dims: [], values: Float64Array.of(i), isFloat: false };
  const list = attr.get('value_ints')?.ints;
  if (list && attr.has('value_ints')) return intConst(list);
  throw new FoldError('Constant without a numeric value (sparse or string constants are not supported)');
}

function strides(dims: number[]): number[] {
  const out = new Array<number>(dims.length).fill(1);
  for (let d = dims.length - 2; d >= 0; d--) out[d] = out[d + 1] * dims[d + 1];
  return out;
}

function like(x: ConstTensor, count: number): Float32Array | Float64Array {
  return x.isFloat ? new Float32Array(count) : new Float64Array(count);
}

function gather(data: ConstTensor, indices: ConstTensor, axisAttr: number): ConstTensor {
  const axis = axisAttr < 0 ? axisAttr + data.dims.length : axisAttr;
  const outer = elementCount(data.dims.slice(0, axis));
  const axisSize = data.dims[axis];
  const inner = elementCount(data.dims.slice(axis + 1));
  const dims = [...data.dims.slice(0, axis), ...indices.dims, ...data.dims.slice(axis + 1)];
  const values = like(data, elementCount(dims));
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const rawIndex of indices.values) {
      const index = rawIndex < 0 ? rawIndex + axisSize : rawIndex;
      if (!(index >= 0 && index < axisSize)) throw new FoldError(`Gather index ${rawIndex} is out of range for size ${axisSize}`);
      for (let i = 0; i < inner; i++) values[at++] = data.values[(o * axisSize + index) * inner + i];
    }
  }
  return { dims, values, isFloat: data.isFloat };
}

function concat(parts: ConstTensor[], axisAttr: number): ConstTensor {
  if (parts.length === 0) throw new FoldError('Concat of nothing');
  const rank = parts[0].dims.length;
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  const outer = elementCount(parts[0].dims.slice(0, axis));
  const dims = [...parts[0].dims];
  dims[axis] = parts.reduce((sum, p) => sum + p.dims[axis], 0);
  const isFloat = parts.some((p) => p.isFloat);
  const values = isFloat ? new Float32Array(elementCount(dims)) : new Float64Array(elementCount(dims));
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const chunk = elementCount(p.dims.slice(axis));
      for (let i = 0; i < chunk; i++) values[at++] = p.values[o * chunk + i];
    }
  }
  return { dims, values, isFloat };
}

/** ONNX Reshape: 0 copies the input dim, -1 is inferred. */
export function reshapeDims(inputDims: number[], target: number[], count: number): number[] {
  const dims = target.map((d, i) => (d === 0 ? inputDims[i] : d));
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const inferred = dims.indexOf(-1);
  if (inferred >= 0) dims[inferred] = count / known;
  if (elementCount(dims) !== count || dims.some((d) => !Number.isInteger(d))) throw new FoldError(`cannot reshape ${count} values to ${JSON.stringify(target)}`);
  return dims;
}

function transpose(x: ConstTensor, perm: number[]): ConstTensor {
  const dims = perm.map((p) => x.dims[p]);
  const inStrides = strides(x.dims);
  const values = like(x, x.values.length);
  const index = new Array<number>(dims.length).fill(0);
  for (let i = 0; i < values.length; i++) {
    let at = 0;
    for (let d = 0; d < dims.length; d++) at += index[d] * inStrides[perm[d]];
    values[i] = x.values[at];
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++index[d] < dims[d]) break;
      index[d] = 0;
    }
  }
  return { dims, values, isFloat: x.isFloat };
}

function slice(x: ConstTensor, starts: number[], ends: number[], axesIn: number[], steps: number[]): ConstTensor {
  const rank = x.dims.length;
  const begin = x.dims.map(() => 0);
  const step = x.dims.map(() => 1);
  const size = [...x.dims];
  axesIn.forEach((axisRaw, i) => {
    const axis = axisRaw < 0 ? axisRaw + rank : axisRaw;
    const n = x.dims[axis];
    const s = steps[i] ?? 1;
    if (s === 0) throw new FoldError('Slice step 0');
    const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
    let start = starts[i] < 0 ? starts[i] + n : starts[i];
    let end = ends[i] < 0 ? ends[i] + n : ends[i];
    if (s > 0) {
      start = clamp(start, 0, n);
      end = clamp(end, 0, n);
      size[axis] = Math.max(0, Math.ceil((end - start) / s));
    } else {
      start = clamp(start, -1, n - 1);
      end = clamp(end, -1, n - 1);
      size[axis] = Math.max(0, Math.ceil((start - end) / -s));
    }
    begin[axis] = start;
    step[axis] = s;
  });
  const inStrides = strides(x.dims);
  const values = like(x, elementCount(size));
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < values.length; i++) {
    let at = 0;
    for (let d = 0; d < rank; d++) at += (begin[d] + index[d] * step[d]) * inStrides[d];
    values[i] = x.values[at];
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < size[d]) break;
      index[d] = 0;
    }
  }
  return { dims: size, values, isFloat: x.isFloat };
}

/** Numpy-style broadcasting of two shapes; throws FoldError when they do not broadcast. */
export function broadcastDims(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new FoldError(`shapes ${JSON.stringify(a)} and ${JSON.stringify(b)} do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

function elementwise(op: string, a: ConstTensor, b: ConstTensor): ConstTensor {
  const dims = broadcastDims(a.dims, b.dims);
  const isFloat = a.isFloat || b.isFloat;
  const values = isFloat ? new Float32Array(elementCount(dims)) : new Float64Array(elementCount(dims));
  const outStrides = strides(dims);
  const offset = (t: ConstTensor, i: number): number => {
    const tStrides = strides(t.dims);
    let at = 0;
    for (let d = 0; d < t.dims.length; d++) {
      const outAxis = dims.length - t.dims.length + d;
      const coordinate = Math.floor(i / outStrides[outAxis]) % dims[outAxis];
      if (t.dims[d] !== 1) at += coordinate * tStrides[d];
    }
    return at;
  };
  for (let i = 0; i < values.length; i++) {
    const x = a.values[offset(a, i)];
    const y = b.values[offset(b, i)];
    values[i] = op === 'Add' ? x + y : op === 'Sub' ? x - y : op === 'Mul' ? x * y : isFloat ? x / y : Math.trunc(x / y);
  }
  return { dims, values, isFloat };
}
