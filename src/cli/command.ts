import type { ArgSpec, ParsedArgs } from './args';
import type { ProgressBar } from './progress';

/** What every command gets: where to write, and whether stdout is reserved for one JSON object. */
export interface CliContext {
  /** Writes the command's result to stdout (the JSON object with --json, text otherwise). */
  out: (text: string) => void;
  /** Human-readable lines on stderr. */
  log: (line: string) => void;
  progress: ProgressBar;
  json: boolean;
  /** Fires on SIGINT/SIGTERM: commands stop between batches and leave resumable state. */
  signal: AbortSignal;
}

/** One `bias-audit` subcommand. */
export interface Command {
  name: string;
  /** One line for `bias-audit --help`. */
  summary: string;
  /** Full usage text for `bias-audit NAME --help`. */
  usage: string;
  spec: ArgSpec;
  run(args: ParsedArgs, ctx: CliContext): Promise<void>;
}
