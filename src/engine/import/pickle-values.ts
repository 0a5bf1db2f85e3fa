/**
 * The Python values our restricted unpickler can produce. Nothing here can run code: objects exist only
 * for the few globals a caller explicitly allows, as TypeScript classes with TypeScript behaviour.
 */
export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyTuple | PyDict | PyObject;

/** A Python tuple (kept distinct from lists: torch passes sizes and strides as tuples). */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** A Python dict or `collections.OrderedDict` (insertion-ordered, like both). */
export class PyDict {
  readonly items = new Map<PyValue, PyValue>();
  /** Instance state set by BUILD (a state dict's `_metadata`), kept but never interpreted. */
  state: PyValue = null;
}

/** A value created by an allowed global: a tensor, a storage, a callable. */
export abstract class PyObject {
  /** The Python qualified name, e.g. `torch.FloatStorage`, for messages. */
  abstract readonly pythonName: string;
}

/** An allowed global function or class: REDUCE and NEWOBJ call `call` with the unpickled arguments. */
export abstract class PyCallable extends PyObject {
  abstract call(args: PyValue[]): PyValue;
}

/** Describes a value's Python type in a message: `dict`, `tuple`, `torch.FloatStorage`. */
export function pythonTypeName(value: PyValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'string') return 'str';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'list';
  if (value instanceof PyTuple) return 'tuple';
  if (value instanceof PyDict) return 'dict';
  return value.pythonName;
}
