/**
 * A least-recently-used cache of decoded images bounded by bytes, so repeated epochs over a small
 * dataset skip decoding while memory stays within the budget whatever the dataset size.
 * Stored arrays are never handed out: `get` returns a copy, so callers may transform pixels in place.
 */
export class DecodedImageCache {
  private readonly entries = new Map<string, Float32Array>();
  private bytes = 0;

  /** @param byteBudget the most bytes of pixels held; 0 disables the cache. */
  constructor(readonly byteBudget: number) {
    if (!(byteBudget >= 0)) throw new RangeError(`DecodedImageCache: byte budget must be >= 0, got ${byteBudget}`);
  }

  /** Bytes currently held. */
  get size(): number {
    return this.bytes;
  }

  /** A copy of the cached pixels, or undefined. */
  get(key: string): Float32Array | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    // Re-insert to mark as most recently used (Map keeps insertion order).
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit.slice();
  }

  /** Stores a copy of `pixels`, evicting the least recently used entries to stay within the budget. */
  set(key: string, pixels: Float32Array): void {
    if (pixels.byteLength > this.byteBudget) return;
    const previous = this.entries.get(key);
    if (previous !== undefined) {
      this.entries.delete(key);
      this.bytes -= previous.byteLength;
    }
    while (this.bytes + pixels.byteLength > this.byteBudget) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.bytes -= (this.entries.get(oldest.value) as Float32Array).byteLength;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, pixels.slice());
    this.bytes += pixels.byteLength;
  }
}
