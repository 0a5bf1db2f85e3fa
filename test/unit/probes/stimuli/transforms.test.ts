import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { Random } from '../../../../src/engine/util/random';
import { IDENTITY_TRANSFORM, type ImageTransform, resample, resamplePlan, sampleTransform } from '../../../../src/probes/stimuli/random-transform';
import { assertNoLeak, useBackend } from '../../helpers/tf';

/** A 5x5 one-channel image with value 10 * row + column, so every pixel is distinct. */
function ramp(height = 5, width = 5, channels = 1): tf.Tensor4D {
  const values = new Float32Array(height * width * channels);
  for (let i = 0; i < height; i++) for (let j = 0; j < width; j++) for (let c = 0; c < channels; c++) values[(i * width + j) * channels + c] = 10 * i + j + 100 * c;
  return tf.tensor4d(values, [1, height, width, channels]);
}

function resampled(image: tf.Tensor4D, transform: ImageTransform): number[][] {
  const [, height, width] = image.shape;
  const out = resample(image, resamplePlan([transform], height, width));
  const values = (out.arraySync() as number[][][][])[0].map((row) => row.map((px) => Math.round(px[0] * 1e4) / 1e4));
  out.dispose();
  return values;
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`probes/stimuli random transforms (${backend})`, () => {
    before(() => useBackend(backend));

    it('the identity transform reproduces the image exactly', async () => {
      await assertNoLeak(() => {
        const image = ramp(5, 6, 3);
        const out = resample(image, resamplePlan([IDENTITY_TRANSFORM], 5, 6));
        assert.deepEqual(Array.from(out.dataSync()), Array.from(image.dataSync()));
        tf.dispose([image, out]);
      });
    });

    it('an integer jitter moves the content by whole pixels, repeating the edge', () => {
      const image = ramp();
      // Content moves right by 1 and down by 2: output (i, j) reads source (i - 2, j - 1), clamped.
      const out = resampled(image, { dx: 1, dy: 2, scale: 1, angleRadians: 0 });
      assert.deepEqual(out[2], [0, 0, 1, 2, 3]);
      assert.deepEqual(out[0], [0, 0, 1, 2, 3]);
      assert.deepEqual(out[4], [20, 20, 21, 22, 23]);
      image.dispose();
    });

    it('a half-pixel jitter interpolates bilinearly', () => {
      const image = ramp();
      const out = resampled(image, { dx: 0.5, dy: 0, scale: 1, angleRadians: 0 });
      // Output (1, 2) reads source x = 1.5 on row 1: (11 + 12) / 2.
      assert.equal(out[1][2], 11.5);
      image.dispose();
    });

    it('a 90 degree rotation about the centre permutes pixels exactly', () => {
      const image = ramp();
      const out = resampled(image, { dx: 0, dy: 0, scale: 1, angleRadians: Math.PI / 2 });
      // Output (i, j) reads source x = cx + (i - cy), y = cy - (j - cx), centre (2, 2).
      for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) assert.equal(out[i][j], 10 * (4 - j) + i, `pixel (${i}, ${j})`);
      image.dispose();
    });

    it('a zoom by 2 reads points half as far from the centre', () => {
      const image = ramp();
      const out = resampled(image, { dx: 0, dy: 0, scale: 2, angleRadians: 0 });
      assert.equal(out[2][2], 22); // the centre stays
      // Output (0, 0) reads source ((0 - 2) / 2 + 2, same) = (1, 1); output (0, 1) reads x = 1.5 on row 1.
      assert.equal(out[0][0], 11);
      assert.equal(out[0][1], 11.5);
      assert.equal(out[4][4], 33);
      image.dispose();
    });

    it('the gradient is the exact adjoint: <T x, y> = <x, T^T y> for random transforms', async () => {
      await assertNoLeak(() => {
        const random = new Random(7);
        const transforms = [0, 1, 2].map(() => sampleTransform({ jitterPixels: 2, scaleRange: [0.7, 1.4], rotationDegrees: 30 }, random));
        const plan = resamplePlan(transforms, 6, 7);
        const x = tf.randomNormal([3, 6, 7, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
        const y = tf.randomNormal([3, 6, 7, 2], 0, 1, 'float32', 2) as tf.Tensor4D;
        const [forward, adjoint] = tf.tidy(() => {
          const tx = resample(x, plan);
          const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(resample(input as tf.Tensor4D, plan), y)))(x);
          return [tf.sum(tf.mul(tx, y)), tf.sum(tf.mul(x, grad))];
        });
        const a = forward.dataSync()[0];
        const b = adjoint.dataSync()[0];
        assert.ok(Math.abs(a - b) < 1e-3 * Math.max(1, Math.abs(a)), `<Tx, y> = ${a} but <x, T^T y> = ${b}`);
        tf.dispose([x, y, forward, adjoint]);
      });
    });
  });
}

describe('probes/stimuli transform sampling', () => {
  it('draws every component within its range, reproducibly for a seed', () => {
    const ranges = { jitterPixels: 3, scaleRange: [0.8, 1.2] as [number, number], rotationDegrees: 15 };
    const a = new Random(3);
    const b = new Random(3);
    for (let i = 0; i < 200; i++) {
      const t = sampleTransform(ranges, a);
      assert.deepEqual(sampleTransform(ranges, b), t);
      assert.ok(Math.abs(t.dx) <= 3 && Math.abs(t.dy) <= 3);
      assert.ok(t.scale >= 0.8 && t.scale <= 1.2);
      assert.ok(Math.abs(t.angleRadians) <= (15 * Math.PI) / 180);
    }
    const zero = sampleTransform({ jitterPixels: 0, scaleRange: [1, 1], rotationDegrees: 0 }, a);
    assert.deepEqual({ ...zero, dx: Math.abs(zero.dx), dy: Math.abs(zero.dy), angleRadians: Math.abs(zero.angleRadians) }, { ...IDENTITY_TRANSFORM });
  });
});
