// Helpers of the webgpu backend tests (`npm run test:webgpu`, not part of `npm test`: they need a GPU, or a
// software Vulkan such as Mesa's lavapipe). The backend failing to start fails the suite with the reason; it
// is never skipped. Results are read with `await data()`: webgpu cannot read synchronously in Node.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { strict as assert } from 'node:assert';
import { loadWebgpuBackend } from '../../src/engine/backend/webgpu-backend';
import { type InputSpec, relativeError, runOnBackend } from '../unit/helpers/tf';

/** The largest error each comparison saw, by label: printed after the suite as the measured agreement. */
export const worstErrors = new Map<string, number>();

/** In a describe block: starts webgpu before its tests (failing them with the reason when it cannot). */
export function useWebgpuBackendInSuite(): void {
  let previous: string | undefined;
  before(async function () {
    this.timeout(120_000);
    previous = tf.getBackend();
    const outcome = await loadWebgpuBackend();
    if (!outcome.ok) throw new Error(`webgpu backend unavailable: ${outcome.reason}`);
    process.stderr.write(`      ${outcome.detail}\n`);
  });
  after(async () => {
    if (previous !== undefined) await tf.setBackend(previous);
  });
}

/** Runs `compute` on cpu and webgpu and asserts every output agrees within `tolerance` (relative to the largest value). */
export async function expectWebgpuMatchesCpu(
  label: string,
  inputs: InputSpec[],
  compute: (...tensors: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
  tolerance = 1e-4,
): Promise<void> {
  const expected = await runOnBackend('cpu', inputs, compute);
  const actual = await runOnBackend('webgpu', inputs, compute);
  assert.equal(actual.length, expected.length, `${label}: output count`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const error = relativeError(actual[i], expected[i]);
    worst = Math.max(worst, error);
    assert.ok(error <= tolerance, `${label}: output ${i} differs from cpu by ${error.toExponential(2)} (> ${tolerance})`);
  }
  worstErrors.set(label, worst);
}
