// Reuse of the native backend's output buffers. Every tfjs op allocates its output afresh; for a ResNet that
// is hundreds of megabytes per training step, each new buffer page-faulted and zeroed by the OS, and the
// external memory makes V8 run a full garbage collection every few ops (measured: a third of the CPU time
// of training the small ResNet). Buffers of disposed tensors are handed out again instead.
//
// A buffer is reused only when nothing else can still see it. That holds for buffers the native kernels
// allocated (`take`) and that only native kernels read: the first time any other code reads one (the
// tensor's data read by the user, a cpu kernel, which may keep a view of it as its own output, as Slice
// does), it is marked exposed and is never reused. Buffers a deferred computation still needs are pinned.

/** Most bytes kept for reuse; beyond it, buffers of disposed tensors are left to the garbage collector. */
const POOL_CAPACITY_BYTES = 1024 * 1024 * 1024;

export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private freeBytes = 0;
  /** Buffers from `take` that nothing but native kernels has seen. */
  private readonly reusable = new WeakSet<Float32Array>();
  private readonly pins = new Map<Float32Array, number>();
  /** Pinned buffers whose tensor is gone: reusable once unpinned. */
  private readonly releasedWhilePinned = new Set<Float32Array>();

  /** A buffer of `length` floats with undefined contents, for an output that will be fully written. */
  take(length: number): Float32Array {
    const bucket = this.free.get(length);
    const reused = bucket?.pop();
    if (reused !== undefined) {
      this.freeBytes -= reused.byteLength;
      return reused;
    }
    const bytes = Buffer.allocUnsafeSlow(length * 4);
    const buffer = new Float32Array(bytes.buffer, bytes.byteOffset, length);
    this.reusable.add(buffer);
    return buffer;
  }

  /** Something other than a native kernel has seen the buffer: never reuse it. */
  expose(buffer: unknown): void {
    if (buffer instanceof Float32Array) this.reusable.delete(buffer);
  }

  /** The tensor owning `buffer` was disposed; `forget` drops derived state (cached ids) before reuse. */
  release(buffer: unknown, forget: (buffer: Float32Array) => void): void {
    if (!(buffer instanceof Float32Array) || !this.reusable.has(buffer)) return;
    if (this.pins.has(buffer)) {
      this.releasedWhilePinned.add(buffer);
      return;
    }
    if (this.freeBytes + buffer.byteLength > POOL_CAPACITY_BYTES) return;
    forget(buffer);
    let bucket = this.free.get(buffer.length);
    if (bucket === undefined) {
      bucket = [];
      this.free.set(buffer.length, bucket);
    }
    bucket.push(buffer);
    this.freeBytes += buffer.byteLength;
  }

  /** Keeps buffers from reuse until `unpin`, even if their tensors are disposed meanwhile. */
  pin(buffers: Float32Array[]): void {
    for (const buffer of buffers) this.pins.set(buffer, (this.pins.get(buffer) ?? 0) + 1);
  }

  unpin(buffers: Float32Array[], forget: (buffer: Float32Array) => void): void {
    for (const buffer of buffers) {
      const count = (this.pins.get(buffer) ?? 1) - 1;
      if (count > 0) {
        this.pins.set(buffer, count);
        continue;
      }
      this.pins.delete(buffer);
      if (this.releasedWhilePinned.delete(buffer)) this.release(buffer, forget);
    }
  }

  /** Bytes currently held for reuse (for tests and diagnostics). */
  heldBytes(): number {
    return this.freeBytes;
  }
}
