// A scoped switch that lets the filter-gradient kernels skip their work while only input gradients are wanted.
//
// Why: tfjs-layers runs every Conv2D through tf.fused.conv2d, whose gradient (a customGrad) computes the
// filter gradient even when tf.grad asks only for the input gradient; for strong-stimulus generation that
// wasted work is about a quarter of each step. The switch exists only inside `withInputGradientsOnly`, a
// synchronous scope, so it cannot be left on: JavaScript runs nothing else until the scope returns.

let activeScopes = 0;

/**
 * Runs `compute` with filter gradients of convolutions skipped: inside it the conv filter-gradient kernels
 * of the project's backends return NaN (never zeros), so a weight gradient taken by mistake in this mode
 * poisons the loss loudly instead of training silently on nothing. Input gradients are exact.
 * `compute` must be synchronous (wrap the `tf.grad` call, not an async loop).
 *
 * @example
 * const dx = withInputGradientsOnly(() => tf.grad((x: tf.Tensor) => model.apply(x).sum())(images));
 */
export function withInputGradientsOnly<T>(compute: () => T): T {
  activeScopes++;
  try {
    const result = compute();
    if (isPromiseLike(result)) {
      throw new Error('withInputGradientsOnly needs a synchronous function; an async one would outlive the scope');
    }
    return result;
  } finally {
    activeScopes--;
  }
}

/** False inside `withInputGradientsOnly`. Filter-gradient kernels of any backend (wasm, native) consult it. */
export function filterGradientsWanted(): boolean {
  return activeScopes === 0;
}

function isPromiseLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
