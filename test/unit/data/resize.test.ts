import { strict as assert } from 'node:assert';
import { resizeBilinear } from '../../../src/engine/data/resize';

/** Asserts two arrays are equal within `tolerance`, reporting the first difference. */
function assertClose(actual: ArrayLike<number>, expected: readonly number[], tolerance = 1e-3): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `[${i}] ${actual[i]} vs ${expected[i]}`);
}

describe('bilinear resize', () => {
  // Reference values from PIL 9 (Debian python3-pil): Image.fromarray(a, mode='F').resize((w, h), Image.BILINEAR).
  it('matches PIL when enlarging a two-pixel row', () => {
    assertClose(resizeBilinear([0, 255], 1, 2, 1, 1, 4), [0, 63.75, 191.25, 255]);
  });

  it('matches PIL when shrinking 6x6 to 3x4 (antialiased) and enlarging to 8x9', () => {
    const ramp = Array.from({ length: 36 }, (_, i) => i * 7);
    assertClose(resizeBilinear(ramp, 6, 6, 1, 3, 4), [32.625, 42.444443, 52.555557, 62.375, 107.625, 117.444443, 127.555557, 137.375, 182.625, 192.444443, 202.555557, 212.375]);
    const big = resizeBilinear(ramp, 6, 6, 1, 8, 9);
    assertClose(big.subarray(0, 9), [0, 3.5, 8.166667, 12.833333, 17.5, 22.166666, 26.833334, 31.5, 35]);
    assertClose(big.subarray(63, 72), [210, 213.5, 218.166672, 222.833328, 227.5, 232.166672, 236.833328, 241.5, 245]);
  });

  it('resizes each channel on its own and keeps constants constant', () => {
    const rgb = Array.from({ length: 5 * 7 * 3 }, (_, i) => [10, 200, 255][i % 3]);
    const out = resizeBilinear(rgb, 5, 7, 3, 11, 4);
    assert.equal(out.length, 11 * 4 * 3);
    out.forEach((v, i) => assert.ok(Math.abs(v - [10, 200, 255][i % 3]) < 1e-9));
  });

  it('returns a copy when the size does not change', () => {
    const input = Uint8Array.from([1, 2, 3, 4]);
    assert.deepEqual(Array.from(resizeBilinear(input, 2, 2, 1, 2, 2)), [1, 2, 3, 4]);
  });
});
