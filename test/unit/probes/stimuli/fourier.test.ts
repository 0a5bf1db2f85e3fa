import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { Random } from '../../../../src/engine/util/random';
import { inverseRealDft2d, spectrumScale, spectrumWidth } from '../../../../src/probes/stimuli/fourier';
import { stimulusParameterizer } from '../../../../src/probes/stimuli/parameterization';
import { assertNoLeak, useBackend } from '../../helpers/tf';

/** Forward real 2-D DFT by the definition, X[k, l] = sum_m,n x[m, n] e^{-2 pi i (k m / H + l n / W)}, l <= W/2. */
function forwardRealDft2d(image: number[][]): { real: number[][]; imaginary: number[][] } {
  const height = image.length;
  const width = image[0].length;
  const columns = spectrumWidth(width);
  const real = Array.from({ length: height }, () => new Array<number>(columns).fill(0));
  const imaginary = Array.from({ length: height }, () => new Array<number>(columns).fill(0));
  for (let k = 0; k < height; k++) {
    for (let l = 0; l < columns; l++) {
      for (let m = 0; m < height; m++) {
        for (let n = 0; n < width; n++) {
          const angle = -2 * Math.PI * ((k * m) / height + (l * n) / width);
          real[k][l] += image[m][n] * Math.cos(angle);
          imaginary[k][l] += image[m][n] * Math.sin(angle);
        }
      }
    }
  }
  return { real, imaginary };
}

function randomImage(height: number, width: number, seed: number): number[][] {
  const random = new Random(seed);
  return Array.from({ length: height }, () => Array.from({ length: width }, () => random.normal()));
}

describe('probes/stimuli Fourier parameterisation', () => {
  before(() => useBackend('cpu'));

  for (const [height, width] of [
    [6, 8],
    [7, 5],
    [4, 9],
  ]) {
    it(`the inverse real DFT inverts the forward DFT (${height}x${width})`, async () => {
      await assertNoLeak(() => {
        const image = randomImage(height, width, height * 10 + width);
        const { real, imaginary } = forwardRealDft2d(image);
        const back = tf.tidy(() => inverseRealDft2d(tf.tensor3d([real]), tf.tensor3d([imaginary]), width));
        const values = (back.arraySync() as number[][][])[0];
        back.dispose();
        for (let m = 0; m < height; m++) for (let n = 0; n < width; n++) assert.ok(Math.abs(values[m][n] - image[m][n]) < 1e-4, `(${m}, ${n}): ${values[m][n]} vs ${image[m][n]}`);
      });
    });
  }

  it('the spectrum scale is sqrt(HW) / max(f, 1 / max(H, W))^decay', () => {
    const scale = spectrumScale(4, 6, 1);
    const columns = spectrumWidth(6);
    assert.equal(columns, 4);
    // DC: f = 0 is floored to 1/6; row 3 of 4 is frequency -1/4; column 2 is 2/6.
    assert.ok(Math.abs(scale[0] - Math.sqrt(24) * 6) < 1e-3);
    assert.ok(Math.abs(scale[3 * columns + 2] - Math.sqrt(24) / Math.hypot(-0.25, 2 / 6)) < 1e-4);
    assert.ok(Math.abs(spectrumScale(4, 6, 0)[5] - Math.sqrt(24)) < 1e-4, 'decay 0 gives a flat scale');
  });

  it('round-trips: the spectrum of an image, divided by the scale, parameterises that image', async () => {
    const [height, width] = [6, 5];
    const target = randomImage(height, width, 3).map((row) => row.map((v) => 0.5 * v)); // the pre-sigmoid image
    const { real, imaginary } = forwardRealDft2d(target);
    const scale = spectrumScale(height, width, 1);
    const columns = spectrumWidth(width);
    // The parameterisation computes irfft2(scale * raw) / 4, so raw = 4 * spectrum / scale.
    const raw = [...real.flat(), ...imaginary.flat()].map((v, i) => (4 * v) / scale[i % (height * columns)]);
    const parameterizer = stimulusParameterizer('fourier', [height, width, 1], 1);
    assert.equal(parameterizer.perImage, raw.length);
    await assertNoLeak(() => {
      const pixels = tf.tidy(() => parameterizer.toPixels(tf.tensor2d(raw, [1, raw.length])));
      const values = pixels.dataSync();
      pixels.dispose();
      for (let m = 0; m < height; m++) {
        for (let n = 0; n < width; n++) {
          const expected = 255 / (1 + Math.exp(-target[m][n]));
          assert.ok(Math.abs(values[m * width + n] - expected) < 1e-3, `(${m}, ${n}): ${values[m * width + n]} vs ${expected}`);
        }
      }
    });
  });

  it('keeps pixels inside (0, 255) for any raw values', async () => {
    await assertNoLeak(() => {
      for (const kind of ['pixel', 'fourier', 'decorrelated', 'fourier-decorrelated'] as const) {
        const parameterizer = stimulusParameterizer(kind, [8, 8, 3], 1);
        const pixels = tf.tidy(() => parameterizer.toPixels(tf.mul(tf.randomNormal([2, parameterizer.perImage], 0, 1, 'float32', 5), 1e4) as tf.Tensor2D));
        const [lowest, highest] = [tf.min(pixels), tf.max(pixels)];
        const [low, high] = [lowest.dataSync()[0], highest.dataSync()[0]];
        tf.dispose([pixels, lowest, highest]);
        assert.ok(low >= 0 && high <= 255, `${kind}: pixels in [${low}, ${high}]`);
      }
    });
  });

  it('colour decorrelation is a no-op for grayscale and says so; it mixes channels for RGB', async () => {
    const gray = stimulusParameterizer('fourier-decorrelated', [6, 6, 1], 1);
    assert.match(gray.notes.join(' '), /no-op for 1-channel/);
    assert.deepEqual(stimulusParameterizer('fourier', [6, 6, 1], 1).notes, []);
    await assertNoLeak(() => {
      const raw = tf.randomNormal([1, gray.perImage], 0, 1, 'float32', 9) as tf.Tensor2D;
      const a = gray.toPixels(raw);
      const b = stimulusParameterizer('fourier', [6, 6, 1], 1).toPixels(raw);
      assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
      const rgb = stimulusParameterizer('decorrelated', [2, 2, 3], 1);
      // One raw unit in the first channel of one pixel spreads over all three output channels.
      const single = tf.tensor2d([[1, 0, 0, ...new Array<number>(9).fill(0)]]);
      const mixed = rgb.toPixels(single);
      const values = Array.from(mixed.dataSync()).slice(0, 3);
      assert.ok(values.every((v) => v > 127.5 + 1), `first pixel ${values.join(', ')} should brighten in every channel`);
      tf.dispose([raw, a, b, single, mixed]);
    });
  });
});
