import { strict as assert } from 'node:assert';
import { RefusedGlobalError, scanGlobals, unpickle } from '../../../src/engine/import/pickle-machine';
import { PyCallable, PyDict, PyTuple, type PyValue } from '../../../src/engine/import/pickle-values';

/** Builds pickle bytes from opcodes written as strings and byte arrays. */
function pickle(...parts: (string | number[])[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));
}

/** A callable that records whether anything ever called it. */
class Spy extends PyCallable {
  readonly pythonName = 'test.spy';
  calls = 0;
  call(args: PyValue[]): PyValue {
    this.calls++;
    return new PyTuple(args);
  }
}

const refuseAll = { file: 'evil.pkl', resolveGlobal: () => undefined };

describe('import: restricted unpickler', () => {
  it('reads the containers and scalars a state dict uses (protocol 2)', () => {
    // {'a': [1, -2, 300, 70000, True, None], 'b': (1.5, 'x'), 'c': <LONG1 -129>, 'd': memo of the list}
    const bytes = pickle(
      [0x80, 2], '}q\x00(', 'X\x01\x00\x00\x00a', ']q\x01(', 'K\x01', 'J\xfe\xff\xff\xff', 'M\x2c\x01', 'J\x70\x11\x01\x00', [0x88], 'N', 'e',
      'X\x01\x00\x00\x00b', 'G', [0x3f, 0xf8, 0, 0, 0, 0, 0, 0], [0x8c, 1], 'x', [0x86],
      'X\x01\x00\x00\x00c', [0x8a, 2, 0x7f, 0xff],
      'X\x01\x00\x00\x00d', 'h\x01', 'u.',
    );
    const { value, end } = unpickle(bytes, refuseAll);
    assert.equal(end, bytes.length);
    assert.ok(value instanceof PyDict);
    const list = value.items.get('a') as PyValue[];
    assert.deepEqual(list, [1, -2, 300, 70000, true, null]);
    const tuple = value.items.get('b') as PyTuple;
    assert.deepEqual(tuple.items, [1.5, 'x']);
    assert.equal(value.items.get('c'), -129);
    assert.equal(value.items.get('d'), list, 'memo returns the same object');
  });

  it('refuses os.system before anything could run, naming it', () => {
    const spy = new Spy();
    // cos\nsystem\n (X'touch /tmp/x' tuple) REDUCE: what pickle.dumps of a malicious __reduce__ writes.
    const bytes = pickle([0x80, 2], 'cposix\nsystem\nq\x00X\x0c\x00\x00\x00touch /tmp/x\x85R.');
    assert.throws(
      () => unpickle(bytes, { file: 'evil.pkl', resolveGlobal: (m, n) => (m === 'test' && n === 'spy' ? spy : undefined) }),
      (e: unknown) =>
        e instanceof RefusedGlobalError && e.code === 'UNSAFE_PICKLE' && e.module === 'posix' && e.globalName === 'system' && /os\.system \(pickled as posix\.system\)/.test(e.message) && /^evil\.pkl: /.test(e.message),
    );
    assert.equal(spy.calls, 0);
  });

  it('refuses STACK_GLOBAL (protocol 4) builtins.eval and subprocess globals', () => {
    const stackGlobal = pickle([0x80, 4], [0x8c, 8], 'builtins', [0x8c, 4], 'eval', [0x93], [0x8c, 5], '1 + 1', [0x85], 'R.');
    assert.throws(() => unpickle(stackGlobal, refuseAll), (e: unknown) => e instanceof RefusedGlobalError && /builtins\.eval/.test(e.message));
    const subprocess = pickle([0x80, 2], 'csubprocess\nPopen\n)R.');
    assert.throws(() => unpickle(subprocess, refuseAll), (e: unknown) => e instanceof RefusedGlobalError && /subprocess\.Popen/.test(e.message));
    // Protocol 0 INST names its class inline; it is checked like GLOBAL.
    const inst = pickle('(X\x02\x00\x00\x00lsios\nsystem\n.');
    assert.throws(() => unpickle(inst, refuseAll), (e: unknown) => e instanceof RefusedGlobalError && /os\.system/.test(e.message));
  });

  it('applies REDUCE only to allowed callables, and BUILD only to dicts', () => {
    const spy = new Spy();
    const options = { file: 'ok.pkl', resolveGlobal: (m: string, n: string) => (m === 'test' && n === 'spy' ? spy : undefined) };
    const { value } = unpickle(pickle([0x80, 2], 'ctest\nspy\nK\x07\x85R.'), options);
    assert.equal(spy.calls, 1);
    assert.deepEqual((value as PyTuple).items, [7]);
    assert.throws(() => unpickle(pickle([0x80, 2], 'K\x01)R.'), options), /REDUCE calls a int, which is not callable/);
    assert.throws(() => unpickle(pickle([0x80, 2], ']}b.'), options), /BUILD sets state on a list/);
  });

  it('refuses unknown opcodes and truncated data with clear errors', () => {
    assert.throws(() => unpickle(pickle([0x80, 2], [0x8f], '.'), refuseAll), /opcode EMPTY_SET is not supported/);
    assert.throws(() => unpickle(pickle([0x80, 2], 'X\xff\x00\x00\x00ab'), refuseAll), /truncated/);
    assert.throws(() => unpickle(pickle([0x80, 2], '0.'), refuseAll), /pops from an empty stack/);
    assert.throws(() => unpickle(pickle([0x80, 2], 'h\x05.'), refuseAll), /memo entry 5/);
  });

  it('lists the globals of a pickle without executing it', () => {
    const bytes = pickle([0x80, 2], 'ctorch.nn.modules.conv\nConv2d\nq\x00', [0x8c, 3], 'foo', 'q\x01', [0x8c, 3], 'Bar', [0x93], 'h\x01', [0x8c, 3], 'Baz', [0x93], '.');
    assert.deepEqual(scanGlobals(bytes), ['torch.nn.modules.conv.Conv2d', 'foo.Bar', 'foo.Baz']);
  });
});
