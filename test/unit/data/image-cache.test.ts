import { strict as assert } from 'node:assert';
import { DecodedImageCache } from '../../../src/engine/data/image-cache';

describe('decoded-image cache', () => {
  it('stays within its byte budget, evicting the least recently used', () => {
    const cache = new DecodedImageCache(3 * 40);
    for (const key of ['a', 'b', 'c']) cache.set(key, new Float32Array(10).fill(key.charCodeAt(0)));
    assert.equal(cache.size, 120);
    assert.ok(cache.get('a'), 'a is now the most recent');
    cache.set('d', new Float32Array(10));
    assert.equal(cache.size, 120);
    assert.equal(cache.get('b'), undefined, 'b was the least recently used');
    assert.ok(cache.get('a') && cache.get('c') && cache.get('d'));
    cache.set('huge', new Float32Array(100));
    assert.equal(cache.get('huge'), undefined, 'an entry above the budget is not stored');
    assert.equal(cache.size, 120);
  });

  it('returns copies, and a zero budget stores nothing', () => {
    const cache = new DecodedImageCache(1000);
    const pixels = Float32Array.from([1, 2, 3]);
    cache.set('k', pixels);
    pixels[0] = 9;
    const got = cache.get('k');
    assert.deepEqual(Array.from(got ?? []), [1, 2, 3]);
    (got as Float32Array)[1] = 9;
    assert.deepEqual(Array.from(cache.get('k') ?? []), [1, 2, 3]);
    const off = new DecodedImageCache(0);
    off.set('k', pixels);
    assert.equal(off.get('k'), undefined);
    assert.equal(off.size, 0);
  });
});
