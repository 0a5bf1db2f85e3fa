import { regularizedUpperGamma } from './specialFunctions';

/**
 * Standard normal tail probabilities for the large-sample approximations of the rank tests. The upper
 * tail is computed directly (not as 1 - CDF) so that small p-values keep their precision.
 */

/** P(Z >= z) for a standard normal Z. */
export function normalSurvival(z: number): number {
  if (Number.isNaN(z)) throw new RangeError('z statistic is NaN');
  if (z === Infinity) return 0;
  if (z === -Infinity) return 1;
  // erfc(u) = Q(1/2, u²), and P(Z >= z) = erfc(z / √2) / 2 for z >= 0.
  const upper = 0.5 * regularizedUpperGamma(0.5, (z * z) / 2);
  return z >= 0 ? upper : 1 - upper;
}

/** P(|Z| >= |z|): the two-sided p-value of a z statistic. */
export function normalTwoSidedP(z: number): number {
  return Math.min(1, 2 * normalSurvival(Math.abs(z)));
}

/**
 * (deviation ∓ 1/2) / sd, shrinking the deviation toward 0 by the continuity correction but never past
 * it (SciPy lets a deviation under 1/2 flip sign, which makes p < 1 at the centre).
 */
export function continuityCorrectedZ(deviation: number, standardDeviation: number, correct: boolean): number {
  const corrected = correct ? Math.sign(deviation) * Math.max(0, Math.abs(deviation) - 0.5) : deviation;
  return corrected / standardDeviation;
}
