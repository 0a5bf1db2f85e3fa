// The `native` tfjs backend: the cpu backend's storage and every cpu kernel, with the heavy kernels replaced
// by the addon's. Tensor data lives in the cpu backend's typed arrays; native kernels read them and write
// their outputs in place into buffers from a pool, so nothing is copied across the JS/C++ boundary.
import {
  type DataId, type NamedTensorInfoMap, type TensorInfo, type KernelFunc, type backend_util, getKernel,
} from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from './native-addon';
import { BufferPool } from './native-buffer-pool';

/** Below this size a fresh zero-filled allocation costs nothing worth avoiding. */
const POOLED_MIN_BYTES = 64 * 1024;

/** A deferred output (see deferredOutput): its computation until first read, then its values. */
interface DeferredValues {
  pending: (() => Float32Array) | undefined;
  values: backend_util.BackendValues | undefined;
  inputs: Float32Array[];
  /** What the computation is, for a consumer that may fuse it into its own (native-fusion.ts). */
  tag: unknown;
}

/** The name the backend is registered under. */
export const NATIVE_BACKEND_NAME = 'native';

export class NativeBackend extends MathBackendCPU {
  private readonly bufferIds = new WeakMap<Float32Array, number>();
  private nextBufferId = 1;
  private readonly pool = new BufferPool();
  private readonly deferred = new WeakMap<object, DeferredValues>();
  private readonly forgetBuffer = (buffer: Float32Array): void => {
    this.bufferIds.delete(buffer); // a reused buffer holds new data: it needs a new id
  };

  constructor(readonly addon: NativeAddon) {
    super();
    // The cpu backend's first write prints advice to install tfjs-node, which is wrong for this backend.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /**
   * A number naming this buffer while it holds one tensor's data (a pooled buffer gets a new number when
   * reused; numbers are never given twice). tfjs never changes a tensor's data in place, so the addon may keep work derived from a buffer (a filter reordered into oneDNN's layout) and
   * skip redoing it when the same buffer comes back: with fixed weights (inference, input gradients) every
   * filter is reordered once instead of on every call.
   */
  bufferId(values: Float32Array): number {
    let id = this.bufferIds.get(values);
    if (id === undefined) {
      id = this.nextBufferId++;
      this.bufferIds.set(values, id);
    }
    return id;
  }

  /** The float32 values of a tensor, or undefined when it is not float32 data (the cpu kernel handles it). */
  floatValues(tensor: TensorInfo): Float32Array | undefined {
    if (tensor.dtype !== 'float32') return undefined;
    const values = this.data.get(tensor.dataId as DataId).values;
    return values instanceof Float32Array ? values : undefined;
  }

  /**
   * An output buffer for a kernel that writes every element. Large ones come from the pool (a disposed
   * tensor's buffer, see native-buffer-pool.ts) or skip the zero-fill of `new Float32Array`; their contents
   * are undefined until written.
   */
  allocate(length: number): Float32Array {
    if (length * 4 < POOLED_MIN_BYTES) return new Float32Array(length);
    return this.pool.take(length);
  }

  /**
   * Marks the inputs of a kernel that is not ours (an inherited cpu kernel) as seen: never reused. Reading
   * `values` computes a deferred input now, as the cpu kernel is about to.
   */
  exposeInputs(inputs: NamedTensorInfoMap): void {
    for (const input of Object.values(inputs)) {
      if (input !== undefined && this.data.has(input.dataId)) this.pool.expose(this.data.get(input.dataId).values);
    }
  }

  override readSync(dataId: DataId): backend_util.BackendValues {
    const values = super.readSync(dataId);
    // The caller keeps this very array (the cpu backend does not copy on read).
    this.pool.expose(values);
    return values;
  }

  override async read(dataId: DataId): Promise<backend_util.BackendValues> {
    return this.readSync(dataId);
  }

  override disposeData(dataId: DataId, force?: boolean): boolean {
    if (!this.data.has(dataId)) return super.disposeData(dataId, force);
    const entry = this.data.get(dataId);
    const values = this.peekValues(dataId);
    const released = super.disposeData(dataId, force);
    if (released && !this.data.has(dataId)) {
      const deferred = this.deferred.get(entry);
      if (deferred?.pending !== undefined) {
        deferred.pending = undefined; // never read: never computed; its inputs may be reused
        this.pool.unpin(deferred.inputs, this.forgetBuffer);
      }
      this.pool.release(values, this.forgetBuffer);
    }
    return released;
  }

  /**
   * Returns a buffer from `allocate` that no tensor owns and nothing else holds (a native-graph.ts
   * intermediate) to the pool. Each buffer at most once.
   */
  recycle(buffer: Float32Array): void {
    this.pool.release(buffer, this.forgetBuffer);
  }

  /** Bytes of disposed tensors' buffers held for reuse (diagnostics, tests). */
  pooledBytes(): number {
    return this.pool.heldBytes();
  }

  /** A tensor's values without computing a deferred output that has not been read. */
  private peekValues(dataId: DataId): backend_util.BackendValues | undefined {
    const entry = this.data.get(dataId);
    const deferred = this.deferred.get(entry);
    return deferred !== undefined ? deferred.values : entry.values;
  }

  /**
   * An output whose values are computed on first read. tfjs's fused convolution gradient always computes
   * both the filter and the input gradient, even when only the input gradient is wanted (strong-stimulus
   * generation) or only the filter gradient (a network's first layer in training); deferred, a gradient
   * nobody reads is never computed. Tensor data is immutable in tfjs, so computing later
   * from the captured input buffers gives the same result as computing now.
   */
  deferredOutput(shape: number[], inputs: Float32Array[], compute: () => Float32Array, tag?: unknown): TensorInfo {
    const info = this.makeTensorInfo(shape, 'float32');
    const entry = this.data.get(info.dataId);
    const state: DeferredValues = { pending: compute, values: undefined, inputs, tag };
    // The inputs' tensors may be disposed before the first read: keep their buffers from reuse until then.
    this.pool.pin(inputs);
    this.deferred.set(entry, state);
    Object.defineProperty(entry, 'values', {
      configurable: true,
      enumerable: true,
      get: () => {
        if (state.pending !== undefined) {
          const run = state.pending;
          state.pending = undefined;
          state.values = run();
          this.pool.unpin(state.inputs, this.forgetBuffer);
        }
        return state.values;
      },
      set: (replacement: backend_util.BackendValues | undefined) => {
        if (state.pending !== undefined) {
          state.pending = undefined;
          this.pool.unpin(state.inputs, this.forgetBuffer);
        }
        state.values = replacement;
      },
    });
    return info;
  }

  /**
   * How to compute a deferred output nothing has read yet, independently of it: its input buffers (to pin
   * while the recipe may still run) and its computation, which writes a new buffer each call. Undefined when
   * the tensor's values exist. Lets a consumer that may need the values much later (after the tensor is
   * disposed) compute them only if it does, without computing the pending output itself now.
   */
  pendingRecipe(tensor: TensorInfo): { inputs: Float32Array[]; compute: () => Float32Array } | undefined {
    const state = this.pendingState(tensor);
    return state?.pending !== undefined ? { inputs: state.inputs, compute: state.pending } : undefined;
  }

  /** The tag of a deferred output whose values nothing has read yet (deferredOutput), else undefined. */
  pendingTag(tensor: TensorInfo): unknown {
    return this.pendingState(tensor)?.tag;
  }

  /** The state of a deferred output whose values nothing has read yet, else undefined. */
  private pendingState(tensor: TensorInfo): DeferredValues | undefined {
    if (!this.data.has(tensor.dataId)) return undefined;
    const state = this.deferred.get(this.data.get(tensor.dataId));
    return state?.pending !== undefined ? state : undefined;
  }

  /** Wraps a freshly computed output buffer as a tensor of this backend (no copy). */
  output(shape: number[], values: Float32Array): TensorInfo {
    return this.makeTensorInfo(shape, 'float32', values);
  }
}

/** cpu kernels that never keep or alias their inputs' buffers beyond sharing the same tensor data. */
const NON_EXPOSING_CPU_KERNELS = new Set(['Reshape', 'Identity']);

/**
 * A cpu kernel for the native backend: it first marks its inputs' buffers as seen (a cpu kernel may keep a
 * view of an input as its output, Slice does), so the pool never reuses them.
 */
export function exposingCpuKernel(kernelName: string, kernelFunc: KernelFunc): KernelFunc {
  if (NON_EXPOSING_CPU_KERNELS.has(kernelName)) return kernelFunc;
  return (args) => {
    (args.backend as NativeBackend).exposeInputs(args.inputs);
    return kernelFunc(args);
  };
}

/** The cpu backend's implementation of a kernel, which native kernels fall back to for cases they skip. */
export function cpuKernel(kernelName: string): KernelFunc {
  const config = getKernel(kernelName, 'cpu');
  if (config === undefined) throw new Error(`tfjs cpu kernel ${kernelName} is not registered`);
  return exposingCpuKernel(kernelName, config.kernelFunc);
}
