/** What trying to start one compute backend gave: it runs (with how many threads), or why not. */
export type BackendLoadOutcome =
  | { ok: true; threads: number; simd: boolean; detail: string }
  | { ok: false; reason: string };
