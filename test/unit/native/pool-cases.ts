// Pooling shapes shared by the native and webgpu kernel tests.
export interface PoolCase {
  x: [number, number, number, number];
  size: number;
  strides: number;
  pad: 'same' | 'valid';
}

export const POOL_CASES: PoolCase[] = [
  { x: [2, 9, 9, 5], size: 3, strides: 2, pad: 'same' },
  { x: [2, 9, 9, 5], size: 3, strides: 2, pad: 'valid' },
  { x: [1, 8, 8, 3], size: 2, strides: 2, pad: 'valid' },
  { x: [3, 7, 10, 4], size: 3, strides: 1, pad: 'same' },
  { x: [2, 16, 16, 70], size: 3, strides: 2, pad: 'same' },
  { x: [1, 6, 6, 2], size: 1, strides: 1, pad: 'valid' },
  // Large enough for the multithreaded loops.
  { x: [4, 32, 32, 40], size: 3, strides: 2, pad: 'same' },
];

export function describePoolCase(c: PoolCase): string {
  return `x ${c.x.join('x')} window ${c.size} stride ${c.strides} ${c.pad}`;
}

