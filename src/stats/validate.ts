/**
 * Input checks shared by the statistics. Malformed input (NaN, infinities, mismatched lengths, an
 * out-of-range probability) is a bug in the caller, so it throws a `RangeError` that says what was wrong,
 * instead of letting a NaN travel silently into a report.
 */

/** Throws unless every value is a finite number; `what` names the argument in the message. */
export function requireFinite(values: readonly number[], what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new RangeError(`${what}[${i}] is ${String(values[i])}; statistics need finite numbers`);
    }
  }
}

/** Throws unless `values` holds at least `minimum` finite numbers. */
export function requireFiniteSample(values: readonly number[], minimum: number, what: string): void {
  if (values.length < minimum) {
    throw new RangeError(`${what} has ${values.length} value(s); at least ${minimum} needed`);
  }
  requireFinite(values, what);
}

/** Throws unless the two paired samples have the same length. */
export function requireSameLength(a: readonly unknown[], b: readonly unknown[], whatA: string, whatB: string): void {
  if (a.length !== b.length) {
    throw new RangeError(`${whatA} has ${a.length} values but ${whatB} has ${b.length}; paired data must match`);
  }
}

/** Throws unless `p` is a probability strictly between 0 and 1 (a confidence level, a quantile). */
export function requireOpenUnitInterval(p: number, what: string): void {
  if (!(p > 0 && p < 1)) throw new RangeError(`${what} must be strictly between 0 and 1, got ${String(p)}`);
}

/** Throws unless `n` is a positive integer (a count of items, resamples, classes). */
export function requirePositiveInteger(n: number, what: string): void {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`${what} must be a positive integer, got ${String(n)}`);
}
