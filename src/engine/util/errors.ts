/**
 * Errors the user can act on. Every failure caused by input (a file, a config field, a flag) is an
 * `AuditError` that names the file or field and the problem; the CLI prints its message and exits 1,
 * the backend sends it to the extension as a structured error. Anything else is a bug.
 */
export class AuditError extends Error {
  /** The file (or config path such as `probes.asr.trigger`) the problem is about, when there is one. */
  readonly file?: string;
  /** A stable machine-readable code, e.g. `ENOENT`, `BAD_CHECKPOINT`, `BAD_CONFIG`, `NAN_LOSS`, `CANCELLED`. */
  readonly code: string;

  constructor(message: string, options: { file?: string; code?: string; cause?: unknown } = {}) {
    super(options.file !== undefined ? `${options.file}: ${message}` : message, { cause: options.cause });
    this.name = 'AuditError';
    this.file = options.file;
    this.code = options.code ?? 'AUDIT_ERROR';
  }
}

/** Raised when the user asked for something the command line cannot parse (exit code 2). */
export class UsageError extends AuditError {
  constructor(message: string) {
    super(message, { code: 'USAGE' });
    this.name = 'UsageError';
  }
}

/** Raised between batches when an `AbortSignal` fired; work done so far is checkpointed and resumable. */
export class CancelledError extends AuditError {
  constructor(message = 'cancelled') {
    super(message, { code: 'CANCELLED' });
    this.name = 'CancelledError';
  }
}

/** Throws `CancelledError` when the signal has fired. Call between batches, never inside a tf.tidy. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** Message of any thrown value, for logs. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
