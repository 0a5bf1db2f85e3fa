import * as tf from '@tensorflow/tfjs-core';

/**
 * The Fourier ("FFT-scaled") parameterisation of feature visualisation (Olah et al., Lucid): the stimulus is
 * the inverse real 2-D DFT of a spectrum whose coefficients are scaled by 1 / frequency^decay, so gradient
 * steps change low frequencies as easily as high ones instead of favouring pixel noise.
 *
 * The inverse DFT is written as real matrix products (cos/sin tables) rather than with tf.spectral: every
 * backend has MatMul and its gradient, while the complex FFT kernels and their gradients are not on wasm.
 * Stimuli are small (28..224 px), so the O(H²W + HW²) products cost little next to the network.
 */

/** Number of rfft columns of a width: floor(W / 2) + 1. */
export function spectrumWidth(width: number): number {
  return Math.floor(width / 2) + 1;
}

/** Signed frequency (cycles per pixel) of DFT row k of a length-n axis, as numpy.fft.fftfreq. */
function signedFrequency(k: number, n: number): number {
  return (k <= Math.floor((n - 1) / 2) ? k : k - n) / n;
}

/**
 * Lucid's spectrum scale: sqrt(H W) / max(f, 1 / max(H, W))^decayPower for each coefficient [H, W/2+1],
 * f = sqrt(fy² + fx²). The sqrt(H W) factor undoes the 1 / (H W) of the inverse DFT's normalisation.
 */
export function spectrumScale(height: number, width: number, decayPower: number): Float32Array {
  const columns = spectrumWidth(width);
  const floor = 1 / Math.max(height, width);
  const scale = new Float32Array(height * columns);
  for (let k = 0; k < height; k++) {
    const fy = signedFrequency(k, height);
    for (let l = 0; l < columns; l++) {
      const fx = l / width;
      scale[k * columns + l] = Math.sqrt(height * width) / Math.max(Math.sqrt(fy * fy + fx * fx), floor) ** decayPower;
    }
  }
  return scale;
}

/**
 * Inverse real 2-D DFT, as numpy.fft.irfft2 with s = (H, W): a complex inverse DFT along H, then a real
 * inverse along W that reads columns 0..W/2 and treats the others as their Hermitian mirrors (the imaginary
 * parts of column 0, and of column W/2 for even W, are ignored, as numpy does).
 *
 * @param real real parts [B, H, W/2+1]
 * @param imaginary imaginary parts [B, H, W/2+1]
 * @returns [B, H, W]
 */
export function inverseRealDft2d(real: tf.Tensor3D, imaginary: tf.Tensor3D, width: number): tf.Tensor3D {
  const [batch, height, columns] = real.shape;
  if (columns !== spectrumWidth(width)) throw new Error(`inverseRealDft2d: ${columns} spectrum columns do not fit width ${width}`);
  return tf.tidy(() => {
    const { cos: cosH, sin: sinH } = heightTables(height);
    // Along H: Y[m, l] = sum_k X[k, l] e^{+2 pi i k m / H}; rows of [B * W', H] times the [H(k), H(m)] tables.
    const byColumn = (t: tf.Tensor3D): tf.Tensor2D => tf.reshape(tf.transpose(t, [0, 2, 1]), [batch * columns, height]);
    const re = byColumn(real);
    const im = byColumn(imaginary);
    const yRe = tf.sub(tf.matMul(re, cosH), tf.matMul(im, sinH));
    const yIm = tf.add(tf.matMul(re, sinH), tf.matMul(im, cosH));
    // Along W: x[m, n] = 1/(H W) sum_l c_l (Re Y[m, l] cos(2 pi l n / W) - Im Y[m, l] sin(2 pi l n / W)).
    const byRow = (t: tf.Tensor): tf.Tensor2D => tf.reshape(tf.transpose(tf.reshape(t, [batch, columns, height]), [0, 2, 1]), [batch * height, columns]);
    const { cos: cosW, sin: sinW } = widthTables(height, width);
    const x = tf.sub(tf.matMul(byRow(yRe), cosW), tf.matMul(byRow(yIm), sinW));
    return tf.reshape(x, [batch, height, width]) as tf.Tensor3D;
  });
}

/** [H(k), H(m)] tables cos(2 pi k m / H) and sin(2 pi k m / H). */
function heightTables(height: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const cos = new Float32Array(height * height);
  const sin = new Float32Array(height * height);
  for (let k = 0; k < height; k++) {
    for (let m = 0; m < height; m++) {
      const angle = (2 * Math.PI * ((k * m) % height)) / height;
      cos[k * height + m] = Math.cos(angle);
      sin[k * height + m] = Math.sin(angle);
    }
  }
  return { cos: tf.tensor2d(cos, [height, height]), sin: tf.tensor2d(sin, [height, height]) };
}

/** [W/2+1(l), W(n)] tables c_l cos(2 pi l n / W) / (H W) and c_l sin(...) / (H W), c_l = 2 except at DC and Nyquist. */
function widthTables(height: number, width: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const columns = spectrumWidth(width);
  const cos = new Float32Array(columns * width);
  const sin = new Float32Array(columns * width);
  for (let l = 0; l < columns; l++) {
    const weight = (l === 0 || 2 * l === width ? 1 : 2) / (height * width);
    for (let n = 0; n < width; n++) {
      const angle = (2 * Math.PI * ((l * n) % width)) / width;
      cos[l * width + n] = weight * Math.cos(angle);
      sin[l * width + n] = weight * Math.sin(angle);
    }
  }
  return { cos: tf.tensor2d(cos, [columns, width]), sin: tf.tensor2d(sin, [columns, width]) };
}
