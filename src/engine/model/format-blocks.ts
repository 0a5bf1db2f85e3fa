import type * as tfl from '@tensorflow/tfjs-layers';
import type { BlockAnalysis } from './blocks';

function paramCount(model: tfl.LayersModel, layers: string[]): number {
  return layers.reduce((sum, name) => sum + model.getLayer(name).countParams(), 0);
}

function outputShape(model: tfl.LayersModel, layers: string[]): string {
  const shape = model.getLayer(layers[layers.length - 1]).outputShape as (number | null)[];
  return shape.slice(1).join('x');
}

/**
 * The block map as a text table (what `bias-audit blocks MODEL` prints): for each block its name,
 * number of layers, parameters (trainable and not) and output shape, then the head and the total.
 */
export function formatBlockMap(model: tfl.LayersModel, analysis: BlockAnalysis): string {
  const rows: string[][] = [['#', 'block', 'layers', 'params', 'output', 'first .. last layer']];
  analysis.blocks.forEach((block, i) => {
    rows.push([
      String(i + 1),
      block.name,
      String(block.layers.length),
      paramCount(model, block.layers).toLocaleString('en-US'),
      outputShape(model, block.layers),
      `${block.layers[0]} .. ${block.layers[block.layers.length - 1]}`,
    ]);
  });
  rows.push(['', 'head', String(analysis.head.length), paramCount(model, analysis.head).toLocaleString('en-US'), outputShape(model, analysis.head), `${analysis.head[0]} .. ${analysis.head[analysis.head.length - 1]}`]);
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  const numeric = new Set([0, 2, 3]);
  const lines = rows.map((r) => r.map((cell, col) => (numeric.has(col) ? cell.padStart(widths[col]) : cell.padEnd(widths[col]))).join('  ').trimEnd());
  const total = model.countParams().toLocaleString('en-US');
  return [
    `model ${model.name}: ${analysis.blocks.length} blocks (${describeMethod(analysis.method)}), classifier ${analysis.classifier}, ${total} parameters`,
    ...lines,
    `freeze depth K freezes blocks 1..K; 'full' = 0 (full-network transfer), 'fixed' = ${analysis.blocks.length} (fixed-feature transfer)`,
  ].join('\n');
}

function describeMethod(method: BlockAnalysis['method']): string {
  switch (method) {
    case 'prefixes':
      return 'from the block prefixes in the meta';
    case 'keras-resnet':
      return 'from Keras ResNet layer names';
    case 'downsampling':
      return 'split where the spatial resolution drops';
    case 'dense':
      return 'one per hidden Dense layer';
  }
}
