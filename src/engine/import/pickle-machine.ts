import { AuditError } from '../util/errors';
import { PyCallable, PyDict, PyTuple, type PyValue, pythonTypeName } from './pickle-values';

/**
 * A restricted unpickler: it interprets the pickle opcodes (protocols 0-5, as far as containers and
 * scalars go) but never imports or calls anything Python. A GLOBAL resolves only through the caller's
 * `resolveGlobal`; anything it does not allow stops the load with `RefusedGlobalError` before a single
 * further opcode runs. REDUCE/NEWOBJ/BUILD apply only to the TypeScript objects such globals return.
 */

/** What the caller allows. */
export interface UnpickleOptions {
  /** The file, for messages. */
  file: string;
  /** The value a GLOBAL `module.name` stands for, or `undefined` to refuse it. */
  resolveGlobal: (module: string, name: string) => PyValue | undefined;
  /** Resolves a persistent id (BINPERSID); when absent, persistent ids are refused. */
  persistentLoad?: (pid: PyValue) => PyValue;
}

/** Thrown when a pickle names a global that is not allowed; the load stops there. */
export class RefusedGlobalError extends AuditError {
  constructor(
    readonly module: string,
    readonly globalName: string,
    file: string,
    message?: string,
    code = 'UNSAFE_PICKLE',
  ) {
    super(
      message ??
        `refusing to load: the pickle references the Python global ${describeGlobal(module, globalName)}, which a checkpoint of ` +
          'tensors never needs (loading it in Python could run arbitrary code). Nothing was executed.',
      { file, code },
    );
    this.name = 'RefusedGlobalError';
  }
}

/**
 * Protocol-2 pickles written by Python 3 use Python 2 module names (`__builtin__.eval`, `posix.system`);
 * the message also gives the name a Python 3 user knows.
 */
const PYTHON3_MODULES: Record<string, string> = { __builtin__: 'builtins', posix: 'os', nt: 'os', commands: 'subprocess', copy_reg: 'copyreg' };

/** `posix.system` -> `os.system (pickled as posix.system)`. */
export function describeGlobal(module: string, name: string): string {
  const python3 = PYTHON3_MODULES[module];
  return python3 ? `${python3}.${name} (pickled as ${module}.${name})` : `${module}.${name}`;
}

const OPCODE_NAMES: Record<number, string> = {
  0x80: 'PROTO', 0x95: 'FRAME', 0x63: 'GLOBAL', 0x93: 'STACK_GLOBAL', 0x71: 'BINPUT', 0x72: 'LONG_BINPUT', 0x94: 'MEMOIZE',
  0x70: 'PUT', 0x68: 'BINGET', 0x6a: 'LONG_BINGET', 0x67: 'GET', 0x28: 'MARK', 0x29: 'EMPTY_TUPLE', 0x5d: 'EMPTY_LIST',
  0x7d: 'EMPTY_DICT', 0x74: 'TUPLE', 0x85: 'TUPLE1', 0x86: 'TUPLE2', 0x87: 'TUPLE3', 0x6c: 'LIST', 0x64: 'DICT', 0x61: 'APPEND',
  0x65: 'APPENDS', 0x73: 'SETITEM', 0x75: 'SETITEMS', 0x4a: 'BININT', 0x4b: 'BININT1', 0x4d: 'BININT2', 0x49: 'INT', 0x4c: 'LONG',
  0x8a: 'LONG1', 0x8b: 'LONG4', 0x47: 'BINFLOAT', 0x46: 'FLOAT', 0x58: 'BINUNICODE', 0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING', 0x42: 'BINBYTES', 0x43: 'SHORT_BINBYTES', 0x8e: 'BINBYTES8',
  0x4e: 'NONE', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x52: 'REDUCE', 0x62: 'BUILD', 0x81: 'NEWOBJ', 0x92: 'NEWOBJ_EX', 0x6f: 'OBJ',
  0x69: 'INST', 0x51: 'BINPERSID', 0x50: 'PERSID', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x2e: 'STOP', 0x82: 'EXT1',
  0x83: 'EXT2', 0x84: 'EXT4', 0x8f: 'EMPTY_SET', 0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER', 0x53: 'STRING', 0x56: 'UNICODE',
};

/** Bounds-checked reading of opcode arguments. */
class PickleReader {
  private readonly view: DataView;
  position: number;

  constructor(
    readonly bytes: Uint8Array,
    start: number,
    private readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.position = start;
  }

  fail(message: string): never {
    throw new AuditError(`bad pickle at byte ${this.position}: ${message}`, { file: this.file, code: 'BAD_CHECKPOINT' });
  }

  private need(n: number): number {
    if (this.position + n > this.bytes.byteLength) this.fail(`needs ${n} more bytes but the data ends (truncated)`);
    const at = this.position;
    this.position += n;
    return at;
  }

  u8(): number {
    return this.bytes[this.need(1)];
  }
  u16(): number {
    return this.view.getUint16(this.need(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }
  i32(): number {
    return this.view.getInt32(this.need(4), true);
  }
  u64(): number {
    const value = this.view.getBigUint64(this.need(8), true);
    if (value > BigInt(this.bytes.byteLength)) this.fail(`a length of ${value} bytes exceeds the data (corrupt)`);
    return Number(value);
  }
  f64BigEndian(): number {
    return this.view.getFloat64(this.need(8), false);
  }
  take(n: number): Uint8Array {
    if (n < 0) this.fail(`negative length ${n}`);
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }
  utf8(n: number): string {
    return new TextDecoder().decode(this.take(n));
  }
  latin1(n: number): string {
    return Buffer.from(this.take(n)).toString('latin1');
  }
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.position);
    if (end < 0) this.fail('a text argument has no terminating newline (truncated)');
    const text = Buffer.from(this.bytes.subarray(this.position, end)).toString('latin1');
    this.position = end + 1;
    return text;
  }
  /** Little-endian two's-complement integer of `n` bytes (LONG1/LONG4). */
  long(n: number): number | bigint {
    const data = this.take(n);
    let value = 0n;
    for (let i = data.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(data[i]);
    if (n > 0 && data[n - 1] & 0x80) value -= 1n << BigInt(8 * n);
    return toNumberIfSafe(value);
  }
}

function toNumberIfSafe(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/**
 * Unpickles one pickle starting at byte `start` and returns its value and the offset after its STOP
 * (a legacy torch file holds several pickles back to back).
 *
 * @example
 * const { value } = unpickle(bytes, { file, resolveGlobal: (m, n) => (m === 'collections' && n === 'OrderedDict' ? orderedDict : undefined) });
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions, start = 0): { value: PyValue; end: number } {
  const reader: PickleReader = new PickleReader(bytes, start, options.file);
  const stack: PyValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();

  const pop = (): PyValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) reader.fail('pops from an empty stack');
    return stack.pop() as PyValue;
  };
  const top = (): PyValue => {
    if (stack.length === 0) reader.fail('reads an empty stack');
    return stack[stack.length - 1];
  };
  const popMark = (): PyValue[] => {
    const mark = marks.pop();
    if (mark === undefined) return reader.fail('closes a MARK that was never opened');
    return stack.splice(mark);
  };
  const asDict = (value: PyValue, op: string): PyDict => {
    if (!(value instanceof PyDict)) reader.fail(`${op} on a ${pythonTypeName(value)}, not a dict`);
    return value;
  };
  const asList = (value: PyValue, op: string): PyValue[] => {
    if (!Array.isArray(value)) reader.fail(`${op} on a ${pythonTypeName(value)}, not a list`);
    return value;
  };
  const global = (module: string, name: string): PyValue => {
    const value = options.resolveGlobal(module, name);
    if (value === undefined) throw new RefusedGlobalError(module, name, options.file);
    return value;
  };
  const callable = (value: PyValue, op: string): PyCallable => {
    if (!(value instanceof PyCallable)) reader.fail(`${op} calls a ${pythonTypeName(value)}, which is not callable`);
    return value;
  };
  const argumentList = (value: PyValue, op: string): PyValue[] => {
    if (!(value instanceof PyTuple)) reader.fail(`${op} arguments are a ${pythonTypeName(value)}, not a tuple`);
    return value.items;
  };
  const memoGet = (index: number): PyValue => {
    if (!memo.has(index)) reader.fail(`refers to memo entry ${index}, which was never stored`);
    return memo.get(index) as PyValue;
  };

  for (;;) {
    const opcodeAt = reader.position;
    const op = reader.u8();
    switch (op) {
      case 0x80: // PROTO
        if (reader.u8() > 5) reader.fail('uses a pickle protocol newer than 5');
        break;
      case 0x95: // FRAME: a length hint only
        reader.u64();
        break;
      case 0x2e: // STOP
        return { value: pop(), end: reader.position };
      case 0x63: {
        // GLOBAL
        const module = reader.line();
        stack.push(global(module, reader.line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') return reader.fail('STACK_GLOBAL of non-string names');
        stack.push(global(module, name));
        break;
      }
      case 0x71: // BINPUT
        memo.set(reader.u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(reader.u32(), top());
        break;
      case 0x70: // PUT
        memo.set(parseInt(reader.line(), 10), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
        stack.push(memoGet(reader.u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(reader.u32()));
        break;
      case 0x67: // GET
        stack.push(memoGet(parseInt(reader.line(), 10)));
        break;
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        const dict = new PyDict();
        for (let i = 0; i + 1 < items.length; i += 2) dict.items.set(items[i], items[i + 1]);
        stack.push(dict);
        break;
      }
      case 0x61: {
        // APPEND
        const value = pop();
        asList(top(), 'APPEND').push(value);
        break;
      }
      case 0x65: {
        // APPENDS
        const values = popMark();
        asList(top(), 'APPENDS').push(...values);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        asDict(top(), 'SETITEM').items.set(key, value);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const dict = asDict(top(), 'SETITEMS');
        for (let i = 0; i + 1 < items.length; i += 2) dict.items.set(items[i], items[i + 1]);
        break;
      }
      case 0x4a: // BININT
        stack.push(reader.i32());
        break;
      case 0x4b: // BININT1
        stack.push(reader.u8());
        break;
      case 0x4d: // BININT2
        stack.push(reader.u16());
        break;
      case 0x49: {
        // INT (protocol 0; "I01"/"I00" are True/False)
        const text = reader.line();
        if (text === '01' || text === '00') stack.push(text === '01');
        else stack.push(toNumberIfSafe(BigInt(text)));
        break;
      }
      case 0x4c: // LONG (protocol 0, trailing L)
        stack.push(toNumberIfSafe(BigInt(reader.line().replace(/L$/, ''))));
        break;
      case 0x8a: // LONG1
        stack.push(reader.long(reader.u8()));
        break;
      case 0x8b: // LONG4
        stack.push(reader.long(reader.i32()));
        break;
      case 0x47: // BINFLOAT
        stack.push(reader.f64BigEndian());
        break;
      case 0x46: // FLOAT
        stack.push(parseFloat(reader.line()));
        break;
      case 0x58: // BINUNICODE
        stack.push(reader.utf8(reader.u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(reader.utf8(reader.u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(reader.utf8(reader.u64()));
        break;
      case 0x54: // BINSTRING (Python 2 str)
        stack.push(reader.latin1(reader.i32()));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(reader.latin1(reader.u8()));
        break;
      case 0x42: // BINBYTES
        stack.push(reader.take(reader.u32()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(reader.take(reader.u8()));
        break;
      case 0x8e: // BINBYTES8
        stack.push(reader.take(reader.u64()));
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x52: {
        // REDUCE: only the allowed TypeScript callables can be applied
        const args = pop();
        const fn = callable(pop(), 'REDUCE');
        stack.push(fn.call(argumentList(args, 'REDUCE')));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args), again only for allowed classes
        const args = pop();
        const cls = callable(pop(), 'NEWOBJ');
        stack.push(cls.call(argumentList(args, 'NEWOBJ')));
        break;
      }
      case 0x62: {
        // BUILD: a dict's instance state (a state dict's `_metadata`); nothing else takes state
        const state = pop();
        const target = top();
        if (!(target instanceof PyDict)) reader.fail(`BUILD sets state on a ${pythonTypeName(target)}, which takes none`);
        target.state = state;
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) return reader.fail('holds a persistent id, which this format does not use');
        stack.push(options.persistentLoad(pid));
        break;
      }
      case 0x50: {
        // PERSID
        const pid = reader.line();
        if (!options.persistentLoad) return reader.fail('holds a persistent id, which this format does not use');
        stack.push(options.persistentLoad(pid));
        break;
      }
      case 0x69: {
        // INST: protocol-0 "module\nname\n" class instantiation; the global check comes first
        const module = reader.line();
        const name = reader.line();
        const cls = callable(global(module, name), 'INST');
        stack.push(cls.call(popMark()));
        break;
      }
      default:
        reader.position = opcodeAt;
        reader.fail(
          `opcode ${OPCODE_NAMES[op] ?? `0x${op.toString(16).padStart(2, '0')}`} is not supported ` +
            '(a state dict needs only dicts, lists, tuples, numbers, strings and tensors)',
        );
    }
  }
}

/**
 * Lists the globals a pickle names, without executing anything: used to explain a refusal (a whole
 * pickled `nn.Module` names its classes). Best effort: stops at the first opcode it cannot step over.
 */
export function scanGlobals(bytes: Uint8Array, start = 0): string[] {
  const reader = new PickleReader(bytes, start, '');
  const globals: string[] = [];
  const strings: (string | undefined)[] = [];
  const memoStrings = new Map<number, string | undefined>();
  const push = (s: string | undefined): void => {
    strings.push(s);
    if (strings.length > 2) strings.shift();
  };
  try {
    for (;;) {
      const op = reader.u8();
      switch (op) {
        case 0x2e:
          return globals;
        case 0x63: {
          const module = reader.line();
          globals.push(`${module}.${reader.line()}`);
          push(undefined);
          break;
        }
        case 0x69: {
          const module = reader.line();
          globals.push(`${module}.${reader.line()}`);
          push(undefined);
          break;
        }
        case 0x93:
          if (strings[0] !== undefined && strings[1] !== undefined) globals.push(`${strings[0]}.${strings[1]}`);
          push(undefined);
          break;
        case 0x58:
          push(reader.utf8(reader.u32()));
          break;
        case 0x8c:
          push(reader.utf8(reader.u8()));
          break;
        case 0x8d:
          push(reader.utf8(reader.u64()));
          break;
        case 0x71:
          memoStrings.set(reader.u8(), strings[strings.length - 1]);
          break;
        case 0x72:
          memoStrings.set(reader.u32(), strings[strings.length - 1]);
          break;
        case 0x94:
          memoStrings.set(memoStrings.size, strings[strings.length - 1]);
          break;
        case 0x68:
          push(memoStrings.get(reader.u8()));
          break;
        case 0x6a:
          push(memoStrings.get(reader.u32()));
          break;
        default:
          skipArgument(reader, op);
          push(undefined);
      }
    }
  } catch {
    return globals;
  }
}

/** Steps over the argument of an opcode without interpreting it (for `scanGlobals`). */
function skipArgument(reader: PickleReader, op: number): void {
  switch (op) {
    case 0x80: case 0x4b: case 0x71: case 0x68:
      reader.take(1);
      break;
    case 0x4d:
      reader.take(2);
      break;
    case 0x4a: case 0x72: case 0x6a:
      reader.take(4);
      break;
    case 0x95: case 0x47:
      reader.take(8);
      break;
    case 0x8a: case 0x55: case 0x43:
      reader.take(reader.u8());
      break;
    case 0x8b: case 0x54:
      reader.take(reader.i32());
      break;
    case 0x42:
      reader.take(reader.u32());
      break;
    case 0x8e: case 0x96:
      reader.take(reader.u64());
      break;
    case 0x70: case 0x67: case 0x49: case 0x4c: case 0x46: case 0x50: case 0x53: case 0x56:
      reader.line();
      break;
    default:
      if (!(op in OPCODE_NAMES)) throw new Error('unknown opcode');
  }
}
