import { strict as assert } from 'node:assert';
import { parseCsv } from '../../../src/engine/data/csv';

describe('CSV parsing', () => {
  it('reads quotes, escaped quotes, CRLF, embedded newlines and skips blank lines', () => {
    const { records, error } = parseCsv('\uFEFFa,b,c\r\n"x,1","say ""hi""",\r\n\r\n"multi\nline",2,3\nlast,,');
    assert.equal(error, undefined);
    assert.deepEqual(records, [
      { fields: ['a', 'b', 'c'], line: 1 },
      { fields: ['x,1', 'say "hi"', ''], line: 2 },
      { fields: ['multi\nline', '2', '3'], line: 4 },
      { fields: ['last', '', ''], line: 6 },
    ]);
  });

  it('keeps a record made of one empty quoted field', () => {
    assert.deepEqual(parseCsv('h\n""\n').records, [
      { fields: ['h'], line: 1 },
      { fields: [''], line: 2 },
    ]);
  });

  it('reports an unterminated quote with its line', () => {
    const { error } = parseCsv('a,b\n1,"open\n2,3\n');
    assert.deepEqual(error, { line: 2, problem: 'a quoted field is never closed' });
  });
});
