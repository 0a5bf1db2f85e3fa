/**
 * The exact null distribution of the Wilcoxon signed-rank statistic W+ (sum of the ranks carrying a
 * positive sign) when each sign is + or - with probability 1/2. Ranks are passed doubled so that midranks
 * (k + 1/2 under ties) become integers; the distribution is then exact conditional on the observed ranks,
 * which is the classic table when there are no ties.
 */

/** Probability of each doubled W+ value 0..Σ doubledRanks under random signs. */
export function signedRankNullDistribution(doubledRanks: readonly number[]): Float64Array {
  let total = 0;
  for (const rank of doubledRanks) total += rank;
  let probabilities = new Float64Array(total + 1);
  probabilities[0] = 1;
  let reach = 0;
  for (const rank of doubledRanks) {
    // Each rank joins W+ or not with probability 1/2; halving every step keeps the values in [0, 1].
    const next = new Float64Array(total + 1);
    for (let s = 0; s <= reach; s++) {
      const mass = probabilities[s] * 0.5;
      next[s] += mass;
      next[s + rank] += mass;
    }
    reach += rank;
    probabilities = next;
  }
  return probabilities;
}

/** Two-sided exact p-value: 2 · min(P(W+ <= observed), P(W+ >= observed)), capped at 1. */
export function twoSidedTailProbability(distribution: Float64Array, observed: number): number {
  let lower = 0;
  let upper = 0;
  for (let s = 0; s < distribution.length; s++) {
    if (s <= observed) lower += distribution[s];
    if (s >= observed) upper += distribution[s];
  }
  return Math.min(1, 2 * Math.min(lower, upper));
}
