import { strict as assert } from 'node:assert';
import { resolve } from 'node:path';
import { resolveClassFilter } from '../../../src/engine/data/class-filter';
import { formatDataSpec, mergeSelections, parseDataSpec } from '../../../src/engine/data/spec';
import { rejectsWithAuditError } from './helpers';

describe('data SPEC parsing', () => {
  const base = '/data';

  it('reads the three forms and resolves relative paths against baseDir', () => {
    assert.deepEqual(parseDataSpec('idx:a/img.gz,lbl.gz', { baseDir: base }).source, { kind: 'idx', images: '/data/a/img.gz', labels: '/data/lbl.gz' });
    assert.deepEqual(parseDataSpec('photos', { baseDir: base }).source, { kind: 'folder', root: '/data/photos' });
    assert.deepEqual(parseDataSpec('/abs/m.CSV', { baseDir: base }).source, { kind: 'manifest', format: 'csv', path: '/abs/m.CSV' });
    assert.deepEqual(parseDataSpec('m.jsonl', { baseDir: base }).source, { kind: 'manifest', format: 'jsonl', path: '/data/m.jsonl' });
    assert.deepEqual(parseDataSpec('m.ndjson', { baseDir: base }).source, { kind: 'manifest', format: 'jsonl', path: '/data/m.ndjson' });
    assert.deepEqual(parseDataSpec('csv:list.txt', { baseDir: base }).source, { kind: 'manifest', format: 'csv', path: '/data/list.txt' });
    assert.deepEqual(parseDataSpec('folder:x.csv', { baseDir: base }).source, { kind: 'folder', root: '/data/x.csv' });
    assert.deepEqual(parseDataSpec('rel').source, { kind: 'folder', root: resolve('rel') });
  });

  it('reads the selection suffix', () => {
    const spec = parseDataSpec('idx:a.gz,b.gz?classes=0-4&perClass=500&perClassSeed=3', { baseDir: base });
    assert.deepEqual(spec.selection, { classes: ['0-4'], perClass: 500, perClassSeed: 3 });
    assert.deepEqual(parseDataSpec('d?classes=T-shirt/top,Ankle%20boot,a%2Cb').selection, { classes: ['T-shirt/top', 'Ankle boot', 'a,b'] });
    assert.deepEqual(parseDataSpec('m.csv?split=val%20set').selection, { split: 'val set' });
    assert.deepEqual(parseDataSpec('idx:a,b').selection, {});
  });

  it('round-trips through formatDataSpec', () => {
    for (const text of ['idx:/d/a.gz,/d/b.gz?classes=0,2,7&perClass=5', 'folder:/d/photos', 'csv:/d/m.csv?split=a%26b', 'jsonl:/d/m.jsonl?classes=T-shirt/top,x%2Cy%3F']) {
      const spec = parseDataSpec(text);
      assert.equal(formatDataSpec(spec), text);
      assert.deepEqual(parseDataSpec(formatDataSpec(spec)), spec);
    }
  });

  it('rejects malformed SPECs with BAD_SPEC naming the SPEC', async () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['http://x/y', /unknown SPEC form 'http:'/],
      ['idx:onlyone.gz', /idx:IMAGES,LABELS/],
      ['idx:a,b,c', /idx:IMAGES,LABELS/],
      ['idx:', /nothing after/],
      ['train-images-idx3-ubyte.gz', /needs its pair/],
      ['d?perClass=0', /perClass must be an integer >= 1/],
      ['d?perClass=abc', /perClass must be an integer/],
      ['d?limit=3', /unknown option 'limit'/],
      ['d?classes', /not KEY=VALUE/],
      ['d?classes=1&classes=2', /given twice/],
      ['d?split=%E0%A4%A', /percent-encoding/],
    ];
    for (const [text, message] of cases) {
      await rejectsWithAuditError(() => parseDataSpec(text), { code: 'BAD_SPEC', message });
    }
  });

  it('merges options with the suffix and refuses a conflict', async () => {
    assert.deepEqual(mergeSelections({ classes: '0-4' }, { perClass: 3 }, 's'), { classes: '0-4', perClass: 3 });
    assert.deepEqual(mergeSelections({ perClass: 3 }, { perClass: 3 }, 's'), { perClass: 3 });
    assert.deepEqual(mergeSelections({ classes: ['0-4', 'Coat'] }, { classes: '0-4, Coat' }, 's'), { classes: '0-4, Coat' });
    await rejectsWithAuditError(() => mergeSelections({ classes: ['0-4'] }, { classes: [1] }, 's'), { code: 'BAD_SPEC', message: /'classes' is given both/ });
    await rejectsWithAuditError(() => mergeSelections({ perClass: 3 }, { perClass: 4 }, 'my-spec'), { code: 'BAD_SPEC', message: /my-spec: 'perClass' is given both/ });
  });
});

describe('class filters', () => {
  const names = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

  it('reads ranges, lists and names, sorted and unique', () => {
    assert.deepEqual(resolveClassFilter('0-4', names, 'w'), [0, 1, 2, 3, 4]);
    assert.deepEqual(resolveClassFilter('7,0,2,2', names, 'w'), [0, 2, 7]);
    assert.deepEqual(resolveClassFilter('Coat, T-shirt/top,Ankle boot', names, 'w'), [0, 4, 9]);
    assert.deepEqual(resolveClassFilter([8, 'Trouser', '3-4'], names, 'w'), [1, 3, 4, 8]);
  });

  it('prefers a class name over an index when they collide', () => {
    const numeric = ['10', '2', '7'];
    assert.deepEqual(resolveClassFilter('2', numeric, 'w'), [1]);
    assert.deepEqual(resolveClassFilter('0', numeric, 'w'), [0]);
    assert.deepEqual(resolveClassFilter([2], numeric, 'w'), [2]);
  });

  it('refuses filters that select nothing or name unknown classes', async () => {
    const cases: [string | (string | number)[], RegExp][] = [
      ['12-15', /class index 12 is out of range 0-9/],
      ['5-3', /range 5-3 is empty/],
      ['Hat', /no class is named 'Hat'/],
      ['', /selects no class/],
      [[], /selects no class/],
      [[10], /out of range/],
      [[-1], /out of range/],
    ];
    for (const [filter, message] of cases) {
      await rejectsWithAuditError(() => resolveClassFilter(filter, names, 'data/x'), { code: 'EMPTY_SELECTION', file: 'data/x', message });
    }
  });
});
