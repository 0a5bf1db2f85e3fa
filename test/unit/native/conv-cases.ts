// Convolution shapes shared by the native and webgpu kernel tests.
export type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

export interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: Pad;
  dilation?: number;
}

// Odd and even sizes, 1x1/3x3/5x5/7x7 filters, strides 1-3, same/valid/explicit padding, batch 1 and > 1,
// channel counts below, at and off oneDNN's 16-wide blocks (which pick different implementations).
export const CONV_CASES: ConvCase[] = [
  { x: [1, 5, 5, 3], filter: [1, 1, 3, 4], strides: 1, pad: 'valid' },
  { x: [2, 7, 9, 3], filter: [3, 3, 3, 5], strides: 1, pad: 'same' },
  { x: [2, 8, 8, 4], filter: [3, 3, 4, 6], strides: 2, pad: 'same' },
  { x: [3, 9, 7, 2], filter: [3, 3, 2, 3], strides: 2, pad: 'valid' },
  { x: [1, 11, 11, 3], filter: [7, 7, 3, 4], strides: 2, pad: 'same' },
  { x: [2, 10, 10, 3], filter: [5, 5, 3, 2], strides: 3, pad: 'valid' },
  { x: [2, 9, 8, 3], filter: [3, 3, 3, 4], strides: 2, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
  { x: [2, 12, 12, 16], filter: [3, 3, 16, 32], strides: 1, pad: 'same' },
  { x: [2, 12, 12, 16], filter: [3, 3, 16, 32], strides: 2, pad: 'same' },
  { x: [2, 9, 9, 24], filter: [1, 1, 24, 40], strides: 2, pad: 'valid' },
  { x: [4, 6, 6, 64], filter: [3, 3, 64, 64], strides: 1, pad: 'same' },
];

export const DILATED_CONV_CASES: ConvCase[] = [
  { x: [1, 9, 9, 2], filter: [3, 3, 2, 3], strides: 1, pad: 'same', dilation: 2 },
  { x: [2, 12, 10, 16], filter: [3, 3, 16, 16], strides: 1, pad: 'valid', dilation: 3 },
];

export function describeConvCase(c: ConvCase): string {
  return `x ${c.x.join('x')} filter ${c.filter.join('x')} stride ${c.strides} pad ${JSON.stringify(c.pad)}${c.dilation ? ` dilation ${c.dilation}` : ''}`;
}

