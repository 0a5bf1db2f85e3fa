// The native backend reuses buffers of disposed tensors (native-buffer-pool.ts). These tests pin down
// that reuse never changes data something can still see.
import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import type { NativeBackend } from '../../../src/engine/backend/native-backend';
import { randomValues, relativeError, useNativeBackendInSuite } from './native-test-kit';

const SHAPE = [4, 32, 32, 16]; // 256 KB: large enough to be pooled

function nativeBackend(): NativeBackend {
  return tf.backend() as NativeBackend;
}

/** Runs a few same-sized native ops whose outputs are disposed, so any reusable buffer gets reused. */
function churn(shape = SHAPE): void {
  for (let i = 0; i < 4; i++) {
    tf.tidy(() => tf.relu(tf.mul(tf.fill(shape, i + 1), tf.fill(shape, -1))));
  }
}

describe('native backend: buffer reuse', () => {
  useNativeBackendInSuite();
  beforeEach(() => tf.setBackend('native'));

  it('reuses the buffer of a disposed native output for the next output of that size', () => {
    const shape = [3, 37, 41, 13]; // a size no other test uses
    const x = tf.tensor(randomValues(shape, 1), shape);
    const y = tf.relu(x);
    const held = nativeBackend().pooledBytes();
    y.dispose();
    assert.equal(nativeBackend().pooledBytes(), held + x.size * 4, 'the disposed output was not kept');
    const again = tf.relu(x);
    assert.equal(nativeBackend().pooledBytes(), held, 'the kept buffer was not reused');
    tf.dispose([x, again]);
  });

  it('never reuses a buffer whose data was read (dataSync hands out the array itself)', () => {
    const x = tf.tensor(randomValues(SHAPE, 2), SHAPE);
    const y = tf.relu(x);
    const seen = y.dataSync();
    const copy = Float32Array.from(seen);
    y.dispose();
    churn();
    assert.deepEqual(seen, copy);
    x.dispose();
  });

  it('never reuses a buffer a cpu kernel has seen (Slice returns a view of its input)', async () => {
    const values = randomValues(SHAPE, 3);
    const x = tf.tensor(values, SHAPE);
    const y = tf.relu(x);
    const view = tf.slice(y, [0, 0, 0, 0], [2, 32, 32, 16]); // contiguous: the cpu kernel returns a subarray
    y.dispose();
    churn();
    const expected = values.slice(0, view.size).map((v) => Math.max(v, 0));
    assert.equal(relativeError(Float32Array.from(await view.data()), expected), 0);
    tf.dispose([x, view]);
  });

  it('keeps the inputs of a deferred gradient until it is read, even after their tensors are gone', async () => {
    const xShape: [number, number, number, number] = [2, 32, 32, 16]; // dy of this size is pooled
    const xValues = randomValues(xShape, 4);
    const wValues = randomValues([3, 3, 16, 16], 5, 0.2);
    const gradients = async (backend: 'cpu' | 'native'): Promise<Float32Array> => {
      await tf.setBackend(backend);
      const x = tf.tensor4d(xValues, xShape);
      const w = tf.tensor4d(wValues, [3, 3, 16, 16]);
      // The filter gradient is deferred; dy and the intermediate activations die with tf.grads' scope.
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')))))([x, w]);
      if (backend === 'native') churn(xShape);
      const result = Float32Array.from(dw.dataSync());
      tf.dispose([x, w, dx, dw]);
      return result;
    };
    const expected = await gradients('cpu');
    const actual = await gradients('native');
    assert.ok(relativeError(actual, expected) < 1e-5, `deferred filter gradient differs: ${relativeError(actual, expected)}`);
  });

  it('marks a deferred gradient as seen when a cpu kernel reads it first', async () => {
    const xShape: [number, number, number, number] = [2, 8, 8, 64];
    const wShape: [number, number, number, number] = [3, 3, 64, 64]; // 147 KB: pooled
    const xValues = randomValues(xShape, 6);
    const wValues = randomValues(wShape, 7, 0.1);
    const firstRows = async (backend: 'cpu' | 'native'): Promise<Float32Array> => {
      await tf.setBackend(backend);
      const x = tf.tensor4d(xValues, xShape);
      const w = tf.tensor4d(wValues, wShape);
      const [dw] = tf.grads((b: tf.Tensor) => tf.sum(tf.conv2d(x, b as tf.Tensor4D, 1, 'same')))([w]);
      const view = tf.slice(dw, [0, 0, 0, 0], [1, 3, 64, 64]); // a subarray of the deferred gradient's buffer
      dw.dispose();
      if (backend === 'native') churn(wShape);
      const result = Float32Array.from(view.dataSync());
      tf.dispose([x, w, view]);
      return result;
    };
    const expected = await firstRows('cpu');
    assert.ok(relativeError(await firstRows('native'), expected) < 1e-5);
  });
});
