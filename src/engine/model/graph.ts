import type * as tfl from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types';
import { AuditError } from '../util/errors';

/**
 * The layer graph of a single-input, single-output LayersModel (functional or Sequential), walked from
 * the model's own output tensor so that extra nodes a layer gained by being re-applied elsewhere (e.g.
 * in `splitAtBlock`'s suffix) are ignored.
 */

/** One application of a layer inside the model. */
export interface GraphNode {
  layer: tfl.layers.Layer;
  inputs: tfl.SymbolicTensor[];
  output: tfl.SymbolicTensor;
  callArgs: Kwargs;
  /** Position in `LayerGraph.nodes`. */
  index: number;
}

export interface LayerGraph {
  input: tfl.SymbolicTensor;
  output: tfl.SymbolicTensor;
  /** Every node except the input layer's, in topological order (inputs visited in argument order). */
  nodes: GraphNode[];
  /** Tensor id -> indices of the nodes that consume it. */
  consumers: Map<number, number[]>;
}

/** Builds the graph; throws `AuditError` for multi-input/-output models and nested models. */
export function layerGraph(model: tfl.LayersModel): LayerGraph {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new AuditError(`model ${model.name} has ${model.inputs.length} inputs and ${model.outputs.length} outputs; only single-input single-output image classifiers are supported`, {
      code: 'UNSUPPORTED_MODEL',
    });
  }
  const input = model.inputs[0];
  const nodes: GraphNode[] = [];
  const visited = new Map<number, GraphNode | null>();
  const visit = (tensor: tfl.SymbolicTensor): void => {
    if (visited.has(tensor.id) || tensor.id === input.id) return;
    const layer = tensor.sourceLayer as tfl.layers.Layer;
    if (layer.getClassName() === 'InputLayer') {
      throw new AuditError(`model ${model.name} uses input ${layer.name}, which is not its own input`, { code: 'UNSUPPORTED_MODEL' });
    }
    if ('layers' in layer) {
      throw new AuditError(`layer ${layer.name} is a nested model; flatten it into one functional model first`, { code: 'UNSUPPORTED_MODEL' });
    }
    const node = layer.inboundNodes[tensor.nodeIndex];
    if (node.outputTensors.length !== 1) {
      throw new AuditError(`layer ${layer.name} has ${node.outputTensors.length} outputs; only single-output layers are supported`, { code: 'UNSUPPORTED_MODEL' });
    }
    visited.set(tensor.id, null);
    node.inputTensors.forEach(visit);
    const graphNode: GraphNode = { layer, inputs: node.inputTensors, output: tensor, callArgs: node.callArgs ?? {}, index: nodes.length };
    nodes.push(graphNode);
    visited.set(tensor.id, graphNode);
  };
  visit(model.outputs[0]);
  const consumers = new Map<number, number[]>();
  for (const node of nodes) {
    for (const t of node.inputs) {
      const list = consumers.get(t.id) ?? [];
      list.push(node.index);
      consumers.set(t.id, list);
    }
  }
  return { input, output: model.outputs[0], nodes, consumers };
}

/**
 * Indices of nodes whose output is a cut of the graph: the only tensor alive at that point, so every
 * path from input to output passes through it. -1 stands for the model input. These are the places a
 * model can be split into a prefix and a suffix joined by one tensor.
 */
export function cutPoints(graph: LayerGraph): number[] {
  const lastUse = new Map<number, number>();
  for (const [id, users] of graph.consumers) lastUse.set(id, Math.max(...users));
  const cuts: number[] = [-1];
  // The furthest node still needing a tensor produced at or before the current position.
  let reach = lastUse.get(graph.input.id) ?? -1;
  for (const node of graph.nodes) {
    const ownLastUse = lastUse.get(node.output.id) ?? Number.POSITIVE_INFINITY;
    if (reach <= node.index && node.index < graph.nodes.length - 1) cuts.push(node.index);
    reach = Math.max(reach, ownLastUse === Number.POSITIVE_INFINITY ? node.index : ownLastUse);
  }
  return cuts;
}

/** The final Dense layer, found by walking back from the output through weightless layers (softmax, dropout). */
export function findClassifier(graph: LayerGraph, modelName: string): GraphNode {
  let node = graph.nodes[graph.nodes.length - 1];
  const byOutput = new Map(graph.nodes.map((n) => [n.output.id, n]));
  while (node.layer.getClassName() !== 'Dense') {
    const previous = node.inputs.length === 1 && node.layer.weights.length === 0 ? byOutput.get(node.inputs[0].id) : undefined;
    if (!previous) {
      throw new AuditError(`model ${modelName} does not end in a Dense classifier (walking back from the output reached ${node.layer.getClassName()} layer ${node.layer.name})`, {
        code: 'UNSUPPORTED_MODEL',
      });
    }
    node = previous;
  }
  return node;
}

/** Output units of the final Dense layer. */
export function classifierUnits(model: tfl.LayersModel): number {
  const classifier = findClassifier(layerGraph(model), model.name);
  const shape = classifier.output.shape;
  return shape[shape.length - 1] ?? 0;
}
