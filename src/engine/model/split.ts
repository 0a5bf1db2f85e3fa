import * as tfl from '@tensorflow/tfjs-layers';
import { AuditError } from '../util/errors';
import type { Block } from './blocks';
import { type GraphNode, layerGraph } from './graph';

export interface SplitModel {
  /** Input -> output of block k. */
  prefix: tfl.LayersModel;
  /** Output of block k -> the model's output. */
  suffix: tfl.LayersModel;
}

/**
 * Splits a model after its first `k` blocks into two models that share the original's layer objects
 * and weights: training `suffix` trains `model`, and `suffix.predict(prefix.predict(x))` equals
 * `model.predict(x)`. This is what frozen-prefix caching needs: compute the frozen prefix's activations
 * once, then train the suffix on them.
 *
 * Needs a single tensor at the block boundary (true after every ResNet stage); otherwise throws an
 * `AuditError` naming the tensors that cross it.
 *
 * Dispose `prefix` and `suffix` when done with them: each holds a reference on the shared layers (tfjs
 * counts references per layer), so the weights are freed only once `model`, `prefix` and `suffix` are
 * all disposed, in any order. A split that is never disposed keeps its layers' weights alive.
 */
export function splitAtBlock(model: tfl.LayersModel, blocks: Block[], k: number): SplitModel {
  if (!Number.isInteger(k) || k < 1 || k > blocks.length) {
    throw new AuditError(`cannot split after block ${k}: the model has ${blocks.length} blocks, so k must be 1..${blocks.length}`, { code: 'BAD_CONFIG' });
  }
  const graph = layerGraph(model);
  const prefixLayers = new Set(blocks.slice(0, k).flatMap((b) => b.layers));
  const inPrefix = graph.nodes.map((n) => prefixLayers.has(n.layer.name));
  const producedInPrefix = new Set<number>([graph.input.id]);
  graph.nodes.forEach((n, i) => {
    if (inPrefix[i]) producedInPrefix.add(n.output.id);
  });
  const crossing = new Map<number, tfl.SymbolicTensor>();
  for (const [i, node] of graph.nodes.entries()) {
    for (const t of node.inputs) {
      if (inPrefix[i] && !producedInPrefix.has(t.id)) {
        throw new AuditError(`layer ${node.layer.name} of blocks 1..${k} reads ${t.sourceLayer.name}, which comes after them; blocks must be consecutive`, { code: 'UNSUPPORTED_MODEL' });
      }
      if (!inPrefix[i] && producedInPrefix.has(t.id)) crossing.set(t.id, t);
    }
  }
  if (crossing.size !== 1) {
    const position = new Map(graph.nodes.map((n) => [n.output.id, n.index]));
    const names = [...crossing.values()]
      .sort((a, b) => (position.get(a.id) ?? -1) - (position.get(b.id) ?? -1))
      .map((t) => t.sourceLayer.name)
      .join(', ');
    throw new AuditError(`cannot split after block ${blocks[k - 1].name}: ${crossing.size} tensors cross the boundary (from ${names}); the boundary must be a single tensor`, {
      code: 'UNSUPPORTED_MODEL',
    });
  }
  const boundary = [...crossing.values()][0];
  const prefixNodes = graph.nodes.filter((_, i) => inPrefix[i]);
  const suffixNodes = graph.nodes.filter((_, i) => !inPrefix[i]);
  const prefix = reapply(`${model.name}_prefix${k}`, graph.input, prefixNodes, boundary);
  const suffix = reapply(`${model.name}_suffix${k}`, boundary, suffixNodes, graph.output);
  return { prefix, suffix };
}

/**
 * A new model from `from` to `to` that applies the same layer objects again. Each application adds a
 * reference on the layer, so the new model can be disposed without freeing weights the original uses.
 */
function reapply(name: string, from: tfl.SymbolicTensor, nodes: GraphNode[], to: tfl.SymbolicTensor): tfl.LayersModel {
  const input = tfl.input({ name: `${name}_input`, shape: from.shape.slice(1) as number[] });
  const mapped = new Map<number, tfl.SymbolicTensor>([[from.id, input]]);
  for (const node of nodes) {
    const inputs = node.inputs.map((t) => mapped.get(t.id)!);
    mapped.set(node.output.id, node.layer.apply(inputs.length === 1 ? inputs[0] : inputs, node.callArgs) as tfl.SymbolicTensor);
  }
  return tfl.model({ name, inputs: input, outputs: mapped.get(to.id)! });
}
