import { UsageError } from '../engine/util/errors';

/** A parsed command line: positional arguments and `--flag value` / `--flag` options. */
export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string | true>;
}

/** Declares what a command accepts, so unknown flags and missing values are usage errors (exit 2). */
export interface ArgSpec {
  /** Flags that take a value. */
  values: string[];
  /** Flags that are on/off. */
  booleans: string[];
  /** How many positionals the command takes: [min, max]. */
  positionals: [number, number];
}

export function parseArgs(argv: string[], spec: ArgSpec, command: string): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (spec.booleans.includes(name)) {
        if (eq > 0) throw new UsageError(`${command}: --${name} takes no value`);
        options.set(name, true);
      } else if (spec.values.includes(name)) {
        const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`${command}: --${name} needs a value`);
        options.set(name, value);
      } else {
        throw new UsageError(`${command}: unknown option --${name}`);
      }
    } else {
      positionals.push(a);
    }
  }
  const [min, max] = spec.positionals;
  if (positionals.length < min || positionals.length > max) {
    throw new UsageError(`${command}: expected ${min === max ? min : `${min} to ${max}`} argument(s), got ${positionals.length}`);
  }
  return { positionals, options };
}

export function stringOption(args: ParsedArgs, name: string, command: string): string;
export function stringOption(args: ParsedArgs, name: string, command: string, fallback: string | undefined): string | undefined;
export function stringOption(args: ParsedArgs, name: string, command: string, ...fallback: (string | undefined)[]): string | undefined {
  const v = args.options.get(name);
  if (v === undefined) {
    if (fallback.length > 0) return fallback[0];
    throw new UsageError(`${command}: --${name} is required`);
  }
  return v as string;
}

export function intOption(args: ParsedArgs, name: string, command: string, fallback?: number, min = 0): number {
  const v = args.options.get(name);
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new UsageError(`${command}: --${name} is required`);
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${command}: --${name} must be an integer >= ${min}, got "${String(v)}"`);
  return n;
}

export function numberOption(args: ParsedArgs, name: string, command: string, fallback?: number): number | undefined {
  const v = args.options.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`${command}: --${name} must be a number, got "${String(v)}"`);
  return n;
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.options.get(name) === true;
}
