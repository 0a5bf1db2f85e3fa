import * as tfl from '@tensorflow/tfjs-layers';
import { AuditError } from '../util/errors';
import { type ConstTensor, constFromOnnx, FOLDABLE_OPS, FoldError, foldConstantNode, intConst } from './onnx-constants';
import type { OnnxModel, OnnxNode } from './onnx-model';
import { type GraphValue, onnxShape, type OpContext, symbolicValue } from './onnx-op-context';
import { OPERATORS } from './onnx-ops';
import { disposeVariablesOnError, setLayerWeights, type WeightArray } from './weight-layout';

/**
 * Turns an ONNX graph into a trainable tfjs-layers functional model: initialisers become layer weights,
 * shape arithmetic is folded away, NCHW becomes NHWC. Exported torchvision ResNets (node names
 * `/layer1/...`) keep their block structure as layer-name prefixes `stem_`, `layer1_` .. `layer4_`.
 */

export interface OnnxConversion {
  model: tfl.LayersModel;
  /** [height, width, channels] of one input. */
  inputShape: [number, number, number];
  numClasses: number;
  /** Block prefixes when the graph's node names follow torchvision's ResNet modules. */
  blockPrefixes?: { name: string; prefixes: string[] }[];
}

const STAGES = ['layer1', 'layer2', 'layer3', 'layer4'];

/**
 * Converts `onnx` (from `readOnnxModel`); `inputShape` ([height, width, channels]) is needed only when
 * the graph's input size is not fixed. Throws `AuditError` naming `file` for an unsupported operator
 * (by name) or a construct that cannot be reproduced exactly.
 */
export function convertOnnxModel(onnx: OnnxModel, file: string, options: { inputShape?: [number, number, number] } = {}): OnnxConversion {
  return disposeVariablesOnError(() => convert(onnx, file, options));
}

function convert(onnx: OnnxModel, file: string, options: { inputShape?: [number, number, number] }): OnnxConversion {
  const { graph, opset } = onnx;
  if (opset < 7) throw new AuditError(`uses ONNX opset ${opset}; opset 7 or newer is required (re-export the model)`, { file, code: 'UNSUPPORTED_MODEL' });
  const values = new Map<string, GraphValue>();
  for (const [name, tensor] of graph.initializers) values.set(name, { kind: 'constant', value: constFromOnnx(tensor, name) });

  const inputShape = resolveInputShape(onnx, file, options.inputShape);
  const graphInputs = graph.inputs.filter((i) => !graph.initializers.has(i.name));
  const input = tfl.input({ shape: inputShape, name: 'input' });
  values.set(graphInputs[0].name, symbolicValue(input, true));

  const nodes = fuseMatMulAdd(graph.nodes, new Set([...graph.initializers.keys()]), new Set(graph.outputs.map((o) => o.name)));
  const naming = layerNaming(nodes);
  const pending: { layer: tfl.layers.Layer; weights: WeightArray[] }[] = [];
  nodes.forEach((node, index) => {
    const context = nodeContext(node, index, opset, values, file, naming, pending);
    for (const [i, name] of node.inputs.entries()) {
      if (name !== '' && !values.has(name)) context.fail(`input ${i} (${name}) is not produced by any earlier node or initialiser`);
    }
    if (node.domain !== '' && node.domain !== 'ai.onnx') context.fail(`operator ${node.opType} of domain ${node.domain} is not supported`);
    const outputs = evaluateNode(context, values);
    node.outputs.forEach((name, i) => {
      if (name !== '' && outputs[i]) values.set(name, outputs[i]);
    });
  });

  if (graph.outputs.length !== 1) {
    throw new AuditError(`has ${graph.outputs.length} outputs (${graph.outputs.map((o) => o.name).join(', ')}); an image classifier has one`, { file, code: 'UNSUPPORTED_MODEL' });
  }
  const output = values.get(graph.outputs[0].name);
  if (!output || output.kind !== 'symbolic' || output.image || output.tensor.shape.length !== 2) {
    throw new AuditError(`output ${graph.outputs[0].name} is not [batch, classes] scores computed from the input`, { file, code: 'UNSUPPORTED_MODEL' });
  }
  const model = tfl.model({ inputs: input, outputs: output.tensor, name: sanitize(graph.name) || 'onnx_model' });
  for (const p of pending) setLayerWeights(p.layer, p.weights);
  const numClasses = output.tensor.shape[1] as number;
  return { model, inputShape, numClasses, ...(naming.torchvision ? { blockPrefixes: torchvisionPrefixes() } : {}) };
}

/**
 * MatMul by a constant followed by Add of a constant vector is a Dense layer with a bias: rewritten as
 * one Gemm so the classifier ends in a Dense (what the engine looks for), not in a bias layer.
 */
function fuseMatMulAdd(nodes: OnnxNode[], initializers: Set<string>, graphOutputs: Set<string>): OnnxNode[] {
  const consumers = new Map<string, number>();
  for (const node of nodes) for (const name of node.inputs) consumers.set(name, (consumers.get(name) ?? 0) + 1);
  const constants = new Set(initializers);
  for (const node of nodes) if (node.opType === 'Constant') node.outputs.forEach((o) => constants.add(o));
  const replacements = new Map<OnnxNode, OnnxNode>();
  const skipped = new Set<OnnxNode>();
  for (const [i, node] of nodes.entries()) {
    const product = node.outputs[0];
    if (node.opType !== 'MatMul' || !constants.has(node.inputs[1]) || consumers.get(product) !== 1 || graphOutputs.has(product)) continue;
    const add = nodes.slice(i + 1).find((n) => n.inputs.includes(product));
    const bias = add?.inputs.find((name) => name !== product);
    if (!add || add.opType !== 'Add' || add.inputs.length !== 2 || bias === undefined || !constants.has(bias)) continue;
    skipped.add(node);
    // Emitted where the Add was, so the bias (perhaps a Constant node after the MatMul) is defined by then.
    replacements.set(add, { ...node, opType: 'Gemm', inputs: [node.inputs[0], node.inputs[1], bias], outputs: add.outputs, attributes: new Map() });
  }
  return nodes.filter((n) => !skipped.has(n)).map((n) => replacements.get(n) ?? n);
}

function evaluateNode(ctx: OpContext, values: Map<string, GraphValue>): GraphValue[] {
  const { node } = ctx;
  const inputs = node.inputs.map((name) => (name === '' ? undefined : values.get(name)));
  if (node.opType === 'Shape' && inputs[0]?.kind === 'symbolic') {
    // The static shape, batch as NaN; opset 15 may slice it with start/end.
    const shape = onnxShape(inputs[0]);
    const start = ctx.attrInt('start', 0);
    const end = ctx.attrInt('end', shape.length);
    return [{ kind: 'constant', value: intConst(shape.slice(start < 0 ? start + shape.length : start, end < 0 ? end + shape.length : end)) }];
  }
  if (node.opType === 'Shape' && inputs[0]?.kind === 'constant') return [{ kind: 'constant', value: intConst(inputs[0].value.dims) }];
  const allConstant = inputs.every((v) => v === undefined || v.kind === 'constant');
  if (FOLDABLE_OPS.has(node.opType) && allConstant) {
    try {
      const constants = inputs.map((v) => (v?.kind === 'constant' ? v.value : undefined));
      return foldConstantNode(node, constants, ctx.opset).map((value) => ({ kind: 'constant', value }));
    } catch (e) {
      if (e instanceof FoldError) ctx.fail(e.message);
      throw e;
    }
  }
  const handler = OPERATORS[node.opType];
  if (!handler) {
    ctx.fail(
      `operator ${node.opType} is not supported. Supported: ${Object.keys(OPERATORS).join(', ')}, and constant ` +
        `${[...FOLDABLE_OPS, 'Shape'].filter((op) => !(op in OPERATORS)).join(', ')}`,
    );
  }
  return handler(ctx);
}

function resolveInputShape(onnx: OnnxModel, file: string, given: [number, number, number] | undefined): [number, number, number] {
  const { graph } = onnx;
  const inputs = graph.inputs.filter((i) => !graph.initializers.has(i.name));
  if (inputs.length !== 1) {
    throw new AuditError(`has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); an image classifier has one`, { file, code: 'UNSUPPORTED_MODEL' });
  }
  const [info] = inputs;
  if (info.elementType !== 'FLOAT') throw new AuditError(`input ${info.name} is ${info.elementType}, not FLOAT`, { file, code: 'UNSUPPORTED_MODEL' });
  if (info.dims.length !== 4) throw new AuditError(`input ${info.name} has ${info.dims.length} dims; expected an NCHW image batch`, { file, code: 'UNSUPPORTED_MODEL' });
  const [, c, h, w] = info.dims.map((d) => (typeof d === 'number' && d > 0 ? d : null));
  if (given) {
    const fixed = [h, w, c];
    if (fixed.some((d, i) => d !== null && d !== given[i])) {
      throw new AuditError(`input ${info.name} is fixed at ${c}x${h}x${w} (CxHxW) but the input shape given is ${given.join('x')} (HxWxC)`, { file, code: 'BAD_OPTIONS' });
    }
    return given;
  }
  if (c === null || h === null || w === null) {
    throw new AuditError(`input ${info.name} has no fixed size (${JSON.stringify(info.dims)}); give the input shape [height, width, channels]`, { file, code: 'BAD_OPTIONS' });
  }
  return [h, w, c];
}

/** Layer names from node names, `stem_`-prefixed before layer1 in torchvision-like graphs. */
interface LayerNaming {
  torchvision: boolean;
  base(node: OnnxNode, index: number): string;
  taken: Set<string>;
}

function sanitize(name: string): string {
  return name.replace(/^[/]+/, '').replace(/[^A-Za-z0-9_]+/g, '_').replace(/_+/g, '_').replace(/^_|_$/g, '');
}

function layerNaming(nodes: OnnxNode[]): LayerNaming {
  const stageOf = (node: OnnxNode): string | undefined => STAGES.find((s) => node.name.startsWith(`/${s}/`));
  const torchvision = STAGES.every((s) => nodes.some((n) => stageOf(n) === s));
  const firstStage = nodes.findIndex((n) => stageOf(n) !== undefined);
  return {
    torchvision,
    taken: new Set(['input']),
    base(node, index) {
      let name = sanitize(node.name) || `${node.opType}_${index}`;
      if (/^[0-9]/.test(name)) name = `n${name}`;
      if (torchvision && index < firstStage) return `stem_${name}`;
      if (torchvision && stageOf(node) === undefined && STAGES.some((s) => name.startsWith(`${s}_`))) return `head_${name}`;
      return name;
    },
  };
}

function torchvisionPrefixes(): { name: string; prefixes: string[] }[] {
  return [{ name: 'stem', prefixes: ['stem_'] }, ...STAGES.map((s) => ({ name: s, prefixes: [`${s}_`] }))];
}

function nodeContext(
  node: OnnxNode,
  index: number,
  opset: number,
  values: Map<string, GraphValue>,
  file: string,
  naming: LayerNaming,
  pending: { layer: tfl.layers.Layer; weights: WeightArray[] }[],
): OpContext {
  const label = `node ${node.name || index} (${node.opType})`;
  const fail = (message: string): never => {
    throw new AuditError(`${label}: ${message}`, { file, code: 'UNSUPPORTED_MODEL' });
  };
  const value = (i: number): GraphValue | undefined => {
    const name = node.inputs[i];
    return name ? values.get(name) : undefined;
  };
  const attribute = (name: string) => node.attributes.get(name);
  const base = naming.base(node, index);
  const ctx: OpContext = {
    node,
    opset,
    fail,
    value,
    symbolic(i) {
      const v = value(i);
      if (!v) return fail(`input ${i} is missing`);
      if (v.kind !== 'symbolic') return fail(`input ${i} (${node.inputs[i]}) is a constant where a computed tensor is expected`);
      return v;
    },
    constant(i): ConstTensor {
      const v = value(i);
      if (!v) return fail(`input ${i} is missing`);
      if (v.kind !== 'constant') return fail(`input ${i} (${node.inputs[i]}) is computed from the input; it must be a constant (an initialiser)`);
      return v.value;
    },
    optionalConstant(i) {
      return value(i) ? ctx.constant(i) : undefined;
    },
    attrInt: (name, fallback) => attribute(name)?.int ?? fallback,
    attrInts: (name, fallback) => (node.attributes.has(name) ? (attribute(name)?.ints ?? fallback) : fallback),
    attrFloat: (name, fallback) => attribute(name)?.float ?? fallback,
    attrString: (name, fallback) => attribute(name)?.string ?? fallback,
    layerName(suffix) {
      const wanted = suffix ? `${base}_${suffix}` : base;
      let name = wanted;
      for (let n = 2; naming.taken.has(name); n++) name = `${wanted}_${n}`;
      naming.taken.add(name);
      return name;
    },
    apply(layer, inputs, weights) {
      const out = layer.apply(inputs) as tfl.SymbolicTensor;
      if (weights) pending.push({ layer, weights });
      return out;
    },
  };
  return ctx;
}
