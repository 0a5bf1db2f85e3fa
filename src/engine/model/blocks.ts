import type * as tfl from '@tensorflow/tfjs-layers';
import { AuditError } from '../util/errors';
import { cutPoints, findClassifier, type GraphNode, type LayerGraph, layerGraph } from './graph';
import type { BlockPrefixSpec, ModelMeta } from './meta';

/** A named run of consecutive layers (in topological order); freeze depth K freezes the first K blocks. */
export interface Block {
  name: string;
  layers: string[];
}

/** How the block map was found. */
export type BlockMethod = 'prefixes' | 'keras-resnet' | 'downsampling' | 'dense';

export interface BlockAnalysis {
  /** The body's blocks, input side first. The model's input layer belongs to none. */
  blocks: Block[];
  /** Layers after the last block: pooling, flatten, hidden dense layers and the classifier. */
  head: string[];
  /** The final Dense layer, the one a child replaces for its own classes. */
  classifier: string;
  method: BlockMethod;
}

/**
 * The ordered blocks of a model's body. Sources, in order of preference: explicit layer-name prefixes in
 * `meta.blockPrefixes`; Keras ResNet naming (`conv1_*`/`pool1_*` is the stem `conv1`, then one block per
 * stage `conv2` .. `conv5`); otherwise the downsampling points: a new block starts at the last single-tensor
 * cut before the spatial resolution drops. Models without 4-D layers get one block per hidden Dense layer.
 *
 * @example
 * const blocks = blockMap(loaded.model, loaded.meta); // [{ name: 'conv1', layers: [...] }, ...]
 */
export function blockMap(model: tfl.LayersModel, meta?: Pick<ModelMeta, 'blockPrefixes'>): Block[] {
  return analyzeBlocks(model, meta).blocks;
}

/** The head's layer names (everything after the last block), see `analyzeBlocks`. */
export function headLayers(model: tfl.LayersModel, meta?: Pick<ModelMeta, 'blockPrefixes'>): string[] {
  return analyzeBlocks(model, meta).head;
}

/** Blocks, head and classifier of `model`. */
export function analyzeBlocks(model: tfl.LayersModel, meta?: Pick<ModelMeta, 'blockPrefixes'>): BlockAnalysis {
  const graph = layerGraph(model);
  const classifier = findClassifier(graph, model.name);
  const bodyEnd = bodyLength(graph, classifier.index);
  const body = graph.nodes.slice(0, bodyEnd);
  if (body.length === 0) {
    throw new AuditError(`model ${model.name} has no layers before its classifier ${classifier.layer.name}; there is nothing to freeze`, { code: 'UNSUPPORTED_MODEL' });
  }
  const head = graph.nodes.slice(bodyEnd).map((n) => n.layer.name);
  let blocks: Block[];
  let method: BlockMethod;
  const hasSpatial = body.some((n) => n.output.shape.length === 4);
  if (meta?.blockPrefixes) {
    blocks = blocksFromPrefixes(body, meta.blockPrefixes);
    method = 'prefixes';
  } else if (hasSpatial && looksLikeKerasResNet(body)) {
    blocks = blocksFromKerasNames(body);
    method = 'keras-resnet';
  } else if (hasSpatial) {
    blocks = blocksFromDownsampling(graph, body);
    method = 'downsampling';
  } else {
    blocks = blocksFromDense(body);
    method = 'dense';
  }
  return { blocks, head, classifier: classifier.layer.name, method };
}

/** Number of body nodes: up to the last 4-D (spatial) output, or up to the classifier for dense-only models. */
function bodyLength(graph: LayerGraph, classifierIndex: number): number {
  let lastSpatial = -1;
  for (const node of graph.nodes) if (node.output.shape.length === 4) lastSpatial = node.index;
  return lastSpatial >= 0 ? Math.min(lastSpatial + 1, classifierIndex) : classifierIndex;
}

function looksLikeKerasResNet(body: GraphNode[]): boolean {
  const names = body.map((n) => n.layer.name);
  return names.some((n) => n.startsWith('conv1_')) && names.some((n) => /^conv\d+_block\d+_/.test(n));
}

function kerasStageKey(name: string): string | undefined {
  const stage = /^(conv\d+)_/.exec(name);
  if (stage) return stage[1];
  if (name.startsWith('pool1_')) return 'conv1';
  return undefined;
}

function blocksFromKerasNames(body: GraphNode[]): Block[] {
  return groupContiguous(body, (n) => kerasStageKey(n.layer.name), (key) => {
    throw new AuditError(`Keras ResNet stage ${key} is not contiguous in the layer graph; give explicit block prefixes`, { code: 'UNSUPPORTED_MODEL' });
  });
}

function blocksFromPrefixes(body: GraphNode[], specs: BlockPrefixSpec[]): Block[] {
  const keyOf = (node: GraphNode): string | undefined => {
    let best: { name: string; length: number } | undefined;
    for (const spec of specs) {
      for (const prefix of spec.prefixes) {
        if (node.layer.name.startsWith(prefix) && (!best || prefix.length > best.length)) best = { name: spec.name, length: prefix.length };
      }
    }
    return best?.name;
  };
  const blocks = groupContiguous(body, keyOf, (key) => {
    throw new AuditError(`block ${key}'s layers are interleaved with another block's; prefixes must select consecutive layers`, {
      file: 'userDefinedMetadata.biasAudit.blockPrefixes',
      code: 'BAD_META',
    });
  });
  const order = specs.map((s) => s.name);
  for (const spec of specs) {
    if (!blocks.some((b) => b.name === spec.name)) {
      throw new AuditError(`block ${spec.name} (prefixes ${spec.prefixes.join(', ')}) matches no layer of the model's body`, {
        file: 'userDefinedMetadata.biasAudit.blockPrefixes',
        code: 'BAD_META',
      });
    }
  }
  const actual = blocks.map((b) => b.name);
  if (actual.join('\n') !== order.join('\n')) {
    throw new AuditError(`blocks are listed as ${order.join(', ')} but appear in the model as ${actual.join(', ')}`, {
      file: 'userDefinedMetadata.biasAudit.blockPrefixes',
      code: 'BAD_META',
    });
  }
  return blocks;
}

/**
 * Groups nodes by key into consecutive blocks. A node without a key joins the block before it (or the
 * first block when it comes before any), e.g. padding layers named by Keras without a stage prefix.
 */
function groupContiguous(body: GraphNode[], keyOf: (node: GraphNode) => string | undefined, onSplit: (key: string) => never): Block[] {
  const blocks: Block[] = [];
  const leading: string[] = [];
  for (const node of body) {
    const key = keyOf(node);
    const current = blocks[blocks.length - 1];
    if (key === undefined || (current && current.name === key)) {
      if (current) current.layers.push(node.layer.name);
      else leading.push(node.layer.name);
      continue;
    }
    if (blocks.some((b) => b.name === key)) onSplit(key);
    blocks.push({ name: key, layers: [...leading.splice(0), node.layer.name] });
  }
  return blocks;
}

function resolution(node: GraphNode): number {
  const shape = node.output.shape;
  return shape.length === 4 ? (shape[1] ?? 0) * (shape[2] ?? 0) : 0;
}

function blocksFromDownsampling(graph: LayerGraph, body: GraphNode[]): Block[] {
  const cuts = new Set(cutPoints(graph));
  const inputShape = graph.input.shape;
  let currentResolution = (inputShape[1] ?? 0) * (inputShape[2] ?? 0);
  const starts = [0];
  let lastCut = -1;
  for (const node of body) {
    const r = resolution(node);
    if (node.output.shape.length === 4 && r < currentResolution) {
      const boundary = lastCut + 1;
      if (boundary > starts[starts.length - 1]) starts.push(boundary);
      currentResolution = r;
    }
    if (cuts.has(node.index)) lastCut = node.index;
  }
  return starts.map((start, i) => ({
    name: `block${i + 1}`,
    layers: body.slice(start, i + 1 < starts.length ? starts[i + 1] : body.length).map((n) => n.layer.name),
  }));
}

function blocksFromDense(body: GraphNode[]): Block[] {
  const blocks: Block[] = [];
  for (const node of body) {
    if (node.layer.getClassName() === 'Dense' || blocks.length === 0) blocks.push({ name: `block${blocks.length + 1}`, layers: [] });
    blocks[blocks.length - 1].layers.push(node.layer.name);
  }
  return blocks;
}
