/**
 * Seeded pseudo-random numbers (mulberry32 seeded through splitmix32). Every shuffle, split, augmentation,
 * initialisation and subset in the project draws from one of these so that a seed reproduces a run.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = splitmix32(seed >>> 0);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }

  /** A 32-bit seed for a child generator, so sub-tasks get independent but reproducible streams. */
  fork(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }
}

function splitmix32(seed: number): number {
  let z = (seed + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Derives a stable 32-bit seed from a base seed and labels, e.g. `deriveSeed(seed, 'child', 2)`. */
export function deriveSeed(base: number, ...labels: (string | number)[]): number {
  let h = base >>> 0;
  for (const label of labels) {
    for (const ch of String(label)) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    h = splitmix32(h);
  }
  return h;
}
