// Entry of the bundled-script check in wasm-startup.test.ts (not a test itself): bundled by esbuild into a
// temporary folder with only the wasm binaries beside it, it starts the wasm backend, takes a convolution's
// filter gradient through the project's kernel and reports on stdout.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../../src/engine/backend/select';

async function main(): Promise<void> {
  const info = await initBackend({ backend: 'wasm', threads: 2 });
  let packageReachable = true;
  try {
    require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  } catch {
    packageReachable = false;
  }
  // d/dw sum(conv(ones, w)) over a 5x5 input with a valid 3x3 window: each tap sees 3x3 output positions.
  const gradient = tf.tidy(() => {
    const loss = (w: tf.Tensor) => tf.sum(tf.conv2d(tf.ones([1, 5, 5, 2]) as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'));
    return Array.from(tf.grad(loss)(tf.zeros([3, 3, 2, 4])).dataSync());
  });
  process.stdout.write(`${JSON.stringify({ info, packageReachable, gradient, backend: tf.getBackend() })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
