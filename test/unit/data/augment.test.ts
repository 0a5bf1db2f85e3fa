import { strict as assert } from 'node:assert';
import { augmentPixels, augmentsAnything } from '../../../src/engine/data/augment';
import { Random } from '../../../src/engine/util/random';

/** A 4x5 two-channel image whose values encode (y, x, c). */
function image(): Float32Array {
  return Float32Array.from({ length: 4 * 5 * 2 }, (_, i) => {
    const c = i % 2;
    const x = Math.floor(i / 2) % 5;
    const y = Math.floor(i / 10);
    return 1 + 100 * y + 10 * x + c;
  });
}
const at = (pixels: Float32Array, y: number, x: number, c: number): number => pixels[(y * 5 + x) * 2 + c];

describe('augmentation', () => {
  it('random crop with padding is a shift with black borders, within the padding', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 200; seed++) {
      const out = augmentPixels(image(), 4, 5, 2, { randomCrop: { padding: 2 } }, new Random(seed));
      // Recover the shift from where the source's (0,0) value landed, or from the data when it left the frame.
      let found = false;
      for (let dy = -2; dy <= 2 && !found; dy++) {
        for (let dx = -2; dx <= 2 && !found; dx++) {
          let match = true;
          for (let y = 0; y < 4 && match; y++) {
            for (let x = 0; x < 5 && match; x++) {
              const sy = y + dy;
              const sx = x + dx;
              const inside = sy >= 0 && sy < 4 && sx >= 0 && sx < 5;
              for (let c = 0; c < 2; c++) if (at(out, y, x, c) !== (inside ? 1 + 100 * sy + 10 * sx + c : 0)) match = false;
            }
          }
          if (match) {
            found = true;
            seen.add(`${dy},${dx}`);
          }
        }
      }
      assert.ok(found, `seed ${seed}: output is not a shift of at most 2 pixels`);
    }
    assert.equal(seen.size, 25, 'every offset in [-2, 2]^2 occurs');
  });

  it('horizontal flip mirrors columns about half the time', () => {
    let flips = 0;
    for (let seed = 0; seed < 400; seed++) {
      const out = augmentPixels(image(), 4, 5, 2, { horizontalFlip: true }, new Random(seed));
      const flipped = at(out, 2, 0, 1) === at(image(), 2, 4, 1);
      if (flipped) {
        flips++;
        for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) for (let c = 0; c < 2; c++) assert.equal(at(out, y, x, c), at(image(), y, 4 - x, c));
      } else {
        assert.deepEqual(out, image());
      }
    }
    assert.ok(flips > 160 && flips < 240, `${flips} flips of 400`);
  });

  it('is deterministic for a seed and leaves the input alone', () => {
    const input = image();
    const options = { randomCrop: { padding: 1 }, horizontalFlip: true };
    const a = augmentPixels(input, 4, 5, 2, options, new Random(42));
    const b = augmentPixels(input, 4, 5, 2, options, new Random(42));
    assert.deepEqual(a, b);
    assert.deepEqual(input, image());
    assert.equal(augmentsAnything(undefined), false);
    assert.equal(augmentsAnything({ randomCrop: { padding: 0 }, horizontalFlip: false }), false);
    assert.equal(augmentsAnything({ horizontalFlip: true }), true);
    assert.throws(() => augmentPixels(input, 4, 5, 2, { randomCrop: { padding: -1 } }, new Random(1)), RangeError);
  });
});
