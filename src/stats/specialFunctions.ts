/**
 * Special functions behind the t, normal and correlation p-values: log-gamma, the regularised incomplete
 * beta function and its inverse, and the regularised incomplete gamma function. Written here (rather than
 * pulled from a dependency) so that the statistics stay plain numbers with no runtime packages; accuracy
 * is checked against SciPy in test/unit/stats/specialFunctions.test.ts (about 1e-12 or better).
 */

const LANCZOS_G = 7;
const LANCZOS_COEFFICIENTS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
/** Smallest magnitude the continued fractions may divide by (modified Lentz guard). */
const TINY = 1e-300;
const CONVERGENCE = 1e-15;
const MAX_ITERATIONS = 100_000;

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, relative error about 1e-15). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma needs x > 0, got ${String(x)}`);
  if (x < 0.5) {
    // Reflection keeps the approximation in its accurate range for small arguments.
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  }
  const shifted = x - 1;
  let series = LANCZOS_COEFFICIENTS[0];
  for (let i = 1; i < LANCZOS_COEFFICIENTS.length; i++) series += LANCZOS_COEFFICIENTS[i] / (shifted + i);
  const t = shifted + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(t) - t + Math.log(series);
}

/** ln B(a, b), the log of the complete beta function. */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/**
 * Continued fraction for the incomplete beta function (Numerical Recipes `betacf`, modified Lentz).
 * Converges quickly for x < (a + 1) / (a + b + 2); callers use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a)
 * otherwise.
 */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < CONVERGENCE) return h;
  }
  throw new RangeError(`incomplete beta did not converge for a=${a}, b=${b}, x=${x}`);
}

/**
 * The regularised incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b), the CDF of Beta(a, b) at x.
 * Student-t and correlation p-values are written in terms of it.
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`incomplete beta needs a, b > 0, got a=${a}, b=${b}`);
  if (Number.isNaN(x)) throw new RangeError('incomplete beta got x = NaN');
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(b, a, 1 - x)) / b;
}

/**
 * The x with I_x(a, b) = p: the quantile function of Beta(a, b). Starts from the Numerical Recipes
 * `invbetai` guess and refines with Halley steps kept inside a shrinking bracket (falling back to
 * bisection), so it cannot wander off for awkward shapes; converges to about 1e-15 relative.
 */
export function inverseRegularizedIncompleteBeta(p: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`inverse incomplete beta needs a, b > 0, got a=${a}, b=${b}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`inverse incomplete beta needs 0 <= p <= 1, got ${String(p)}`);
  if (p === 0) return 0;
  if (p === 1) return 1;
  let x = initialBetaQuantileGuess(p, a, b);
  let lo = 0;
  let hi = 1;
  const logNormaliser = -logBeta(a, b);
  for (let iteration = 0; iteration < 200; iteration++) {
    const error = regularizedIncompleteBeta(x, a, b) - p;
    if (error === 0) return x;
    if (error > 0) hi = x;
    else lo = x;
    const density = Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) + logNormaliser);
    let next: number;
    if (density > 0 && Number.isFinite(density)) {
      const newtonStep = error / density;
      // Halley's correction uses the log-derivative of the beta density.
      const curvature = (a - 1) / x - (b - 1) / (1 - x);
      const step = newtonStep / (1 - 0.5 * Math.min(1, newtonStep * curvature));
      next = x - step;
    } else {
      next = Number.NaN;
    }
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (Math.abs(next - x) <= 1e-15 * Math.max(x, 1e-300) || hi - lo <= 1e-15 * hi) return next;
    x = next;
  }
  return x;
}

/** Numerical Recipes' starting point for the beta quantile (Abramowitz & Stegun 26.5.22 when a, b >= 1). */
function initialBetaQuantileGuess(p: number, a: number, b: number): number {
  if (a >= 1 && b >= 1) {
    const pp = p < 0.5 ? p : 1 - p;
    const t = Math.sqrt(-2 * Math.log(pp));
    let z = (2.30753 + t * 0.27061) / (1 + t * (0.99229 + t * 0.04481)) - t;
    if (p < 0.5) z = -z;
    const al = (z * z - 3) / 6;
    const h = 2 / (1 / (2 * a - 1) + 1 / (2 * b - 1));
    const w = (z * Math.sqrt(al + h)) / h - (1 / (2 * b - 1) - 1 / (2 * a - 1)) * (al + 5 / 6 - 2 / (3 * h));
    const guess = a / (a + b * Math.exp(2 * w));
    return clampOpenUnit(guess);
  }
  const lna = Math.log(a / (a + b));
  const lnb = Math.log(b / (a + b));
  const t = Math.exp(a * lna) / a;
  const u = Math.exp(b * lnb) / b;
  const w = t + u;
  const guess = p < t / w ? Math.pow(a * w * p, 1 / a) : 1 - Math.pow(b * w * (1 - p), 1 / b);
  return clampOpenUnit(guess);
}

function clampOpenUnit(x: number): number {
  if (!(x > 0)) return 1e-300;
  if (!(x < 1)) return 1 - 1e-16;
  return x;
}

/**
 * The regularised upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a) (series for x < a + 1,
 * continued fraction otherwise, as in Numerical Recipes `gammq`). The normal tail is Q(1/2, z²/2) / 2.
 */
export function regularizedUpperGamma(a: number, x: number): number {
  if (!(a > 0)) throw new RangeError(`incomplete gamma needs a > 0, got ${String(a)}`);
  if (!(x >= 0)) throw new RangeError(`incomplete gamma needs x >= 0, got ${String(x)}`);
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  if (x < a + 1) return 1 - lowerGammaSeries(a, x);
  return upperGammaContinuedFraction(a, x);
}

function lowerGammaSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  let denominator = a;
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    denominator += 1;
    term *= x / denominator;
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * CONVERGENCE) {
      return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
    }
  }
  throw new RangeError(`incomplete gamma series did not converge for a=${a}, x=${x}`);
}

function upperGammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < CONVERGENCE) return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
  }
  throw new RangeError(`incomplete gamma continued fraction did not converge for a=${a}, x=${x}`);
}
