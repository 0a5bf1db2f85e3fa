import { AuditError } from '../util/errors';
import { type CheckpointTensor, elementCount, formatShape } from './checkpoint-tensor';
import { decodeToFloat32, type ElementType, elementSize } from './element-types';
import { PyCallable, PyDict, PyObject, PyTuple, type PyValue, pythonTypeName } from './pickle-values';

/**
 * The only Python globals a PyTorch state dict needs, as TypeScript stand-ins: the storage classes (which
 * name an element type), the tensor rebuild functions, `collections.OrderedDict`. Everything else is
 * refused by `torchGlobal` returning undefined.
 */

/** `torch.<Name>Storage` -> element type. (cuda storages load onto the CPU like `map_location='cpu'`.) */
const STORAGE_TYPES: Record<string, ElementType> = {
  DoubleStorage: 'float64',
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  Float8_e4m3fnStorage: 'float8_e4m3fn',
  Float8_e5m2Storage: 'float8_e5m2',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  UInt16Storage: 'uint16',
  UInt32Storage: 'uint32',
  UInt64Storage: 'uint64',
  BoolStorage: 'bool',
};

/** A storage class global (`torch.FloatStorage`): only names the element type of a persistent storage. */
export class TorchStorageType extends PyObject {
  constructor(
    readonly pythonName: string,
    readonly elementType: ElementType,
  ) {
    super();
  }
}

/** A storage's bytes, fetched lazily: only tensors of the state dict are ever decoded. */
export class TorchStorage extends PyObject {
  readonly pythonName: string;
  private bytesCache?: Uint8Array;

  constructor(
    readonly key: string,
    readonly type: TorchStorageType,
    readonly elementCount: number,
    private readonly fetch: () => Uint8Array,
  ) {
    super();
    this.pythonName = type.pythonName;
  }

  bytes(): Uint8Array {
    this.bytesCache ??= this.fetch();
    return this.bytesCache;
  }
}

/** A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage. */
export class TorchTensor extends PyObject {
  readonly pythonName = 'torch.Tensor';

  constructor(
    readonly storage: TorchStorage,
    readonly storageOffset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {
    super();
  }

  /** Decodes the view to a contiguous float32 tensor; throws `AuditError` naming `file` if it reaches outside its storage. */
  materialize(file: string, name: string): CheckpointTensor {
    const { storage, storageOffset, shape, stride } = this;
    const type = storage.type.elementType;
    const size = elementSize(type);
    const count = elementCount(shape);
    let last = storageOffset;
    for (let d = 0; d < shape.length; d++) if (shape[d] > 0) last += (shape[d] - 1) * stride[d];
    if (count > 0 && (storageOffset < 0 || last >= storage.elementCount)) {
      throw new AuditError(
        `tensor ${name} (${formatShape(shape)}) reaches element ${last} of storage ${storage.key}, which holds ${storage.elementCount} (corrupt checkpoint)`,
        { file, code: 'BAD_CHECKPOINT' },
      );
    }
    const bytes = storage.bytes();
    if (bytes.byteLength < storage.elementCount * size) {
      throw new AuditError(`storage ${storage.key} holds ${bytes.byteLength} bytes, fewer than its ${storage.elementCount} elements need (truncated)`, {
        file,
        code: 'BAD_CHECKPOINT',
      });
    }
    if (isContiguous(shape, stride)) {
      const start = storageOffset * size;
      return { shape, values: decodeToFloat32(bytes.subarray(start, start + count * size), type, count), storedAs: storage.pythonName };
    }
    // A non-contiguous view (e.g. a transposed weight saved as is): decode the storage, then gather.
    const all = decodeToFloat32(bytes.subarray(0, storage.elementCount * size), type, storage.elementCount);
    const values = new Float32Array(count);
    const index = new Array<number>(shape.length).fill(0);
    for (let i = 0; i < count; i++) {
      let at = storageOffset;
      for (let d = 0; d < shape.length; d++) at += index[d] * stride[d];
      values[i] = all[at];
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++index[d] < shape[d]) break;
        index[d] = 0;
      }
    }
    return { shape, values, storedAs: storage.pythonName };
  }
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/** A function global whose arguments are checked and turned into a value, in TypeScript. */
class AllowedFunction extends PyCallable {
  constructor(
    readonly pythonName: string,
    private readonly body: (args: PyValue[], fail: (message: string) => never) => PyValue,
    private readonly file: string,
  ) {
    super();
  }

  call(args: PyValue[]): PyValue {
    return this.body(args, (message) => {
      throw new AuditError(`${this.pythonName}: ${message}`, { file: this.file, code: 'BAD_CHECKPOINT' });
    });
  }
}

/** A marker class (`torch.Tensor`, `torch.nn.parameter.Parameter`) accepted only as `_rebuild_from_type_v2`'s type. */
class AllowedType extends PyObject {
  constructor(readonly pythonName: string) {
    super();
  }
}

function intList(value: PyValue, what: string, fail: (message: string) => never): number[] {
  const items = value instanceof PyTuple ? value.items : Array.isArray(value) ? value : undefined;
  if (!items || !items.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) fail(`${what} is a ${pythonTypeName(value)}, not a tuple of ints`);
  return items as number[];
}

function rebuildTensor(args: PyValue[], fail: (message: string) => never): TorchTensor {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof TorchStorage)) fail(`expects a storage, got a ${pythonTypeName(storage)}`);
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset)) fail('storage offset is not an int');
  const shape = intList(size, 'size', fail);
  const strides = intList(stride, 'stride', fail);
  if (strides.length !== shape.length || shape.some((d) => d < 0)) fail(`size ${JSON.stringify(shape)} and stride ${JSON.stringify(strides)} do not match`);
  return new TorchTensor(storage, offset, shape, strides);
}

/**
 * The value of an allowed global, or undefined (refused). `file` is for messages raised when an allowed
 * function is called with arguments it does not expect.
 */
export function torchGlobal(module: string, name: string, file: string): PyValue | undefined {
  const qualified = `${module}.${name}`;
  const fn = (body: (args: PyValue[], fail: (message: string) => never) => PyValue): AllowedFunction => new AllowedFunction(qualified, body, file);
  if ((module === 'torch' || module === 'torch.cuda') && name in STORAGE_TYPES) return new TorchStorageType(qualified, STORAGE_TYPES[name]);
  switch (qualified) {
    case 'collections.OrderedDict':
      return fn((args: PyValue[], fail: (message: string) => never) => {
        if (args.length !== 0) fail('OrderedDict with constructor arguments is not expected in a checkpoint');
        return new PyDict();
      });
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2':
      // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
      return fn((args: PyValue[], fail: (message: string) => never) => rebuildTensor(args, fail));
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      // (data, requires_grad, backward_hooks[, state]): a Parameter is its data for our purposes.
      return fn((args: PyValue[], fail: (message: string) => never) => {
        if (!(args[0] instanceof TorchTensor)) fail(`expects a tensor, got a ${pythonTypeName(args[0])}`);
        return args[0];
      });
    case 'torch._tensor._rebuild_from_type_v2':
      // (func, new_type, args, state): tensor subclasses; only plain tensors and parameters are accepted.
      return fn((args: PyValue[], fail: (message: string) => never) => {
        const [inner, type, innerArgs] = args;
        if (!(inner instanceof AllowedFunction)) fail(`expects a rebuild function, got a ${pythonTypeName(inner)}`);
        if (!(type instanceof AllowedType)) fail(`expects torch.Tensor or Parameter, got a ${pythonTypeName(type)}`);
        if (!(innerArgs instanceof PyTuple)) fail('arguments are not a tuple');
        return inner.call(innerArgs.items);
      });
    case 'torch.Tensor':
    case 'torch.nn.parameter.Parameter':
      return new AllowedType(qualified);
    case '_codecs.encode':
      // How protocol 2 pickles Python 3 bytes: _codecs.encode(text, 'latin1').
      return fn((args: PyValue[], fail: (message: string) => never) => {
        const [text, encoding] = args;
        if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) fail('only encode(str, "latin1") is expected');
        return new Uint8Array(Buffer.from(text as string, 'latin1'));
      });
    default:
      return undefined;
  }
}
