import { AuditError } from '../../engine/util/errors';

/** One problem in an audit config: the JSON path of the field (`probes.interventions.triggers[1]`) and what is wrong. */
export interface ConfigProblem {
  path: string;
  message: string;
}

/**
 * Everything wrong with an audit config, found before any training starts. The message lists every problem
 * as `PATH: PROBLEM`, one per line; `problems` holds them for programs (the extension shows them inline).
 */
export class ConfigError extends AuditError {
  readonly problems: readonly ConfigProblem[];

  constructor(configPath: string, problems: readonly ConfigProblem[]) {
    const lines = problems.map((p) => `${p.path}: ${p.message}`);
    super(problems.length === 1 ? lines[0] : `${problems.length} problems in the audit config:\n  ${lines.join('\n  ')}`, { file: configPath, code: 'BAD_CONFIG' });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Collects config problems and throws them all at once. */
export class ProblemList {
  private readonly items: ConfigProblem[] = [];

  add(path: string, message: string): void {
    if (!this.items.some((p) => p.path === path && p.message === message)) this.items.push({ path, message });
  }

  /** Records an error thrown while checking `path` (an AuditError's message without its file prefix). */
  addError(path: string, error: unknown): void {
    this.add(path, problemText(error));
  }

  get size(): number {
    return this.items.length;
  }

  list(): readonly ConfigProblem[] {
    return this.items;
  }

  throwIfAny(configPath: string): void {
    if (this.items.length > 0) throw new ConfigError(configPath, this.items);
  }
}

/** The message of an error, keeping the file an AuditError names. */
export function problemText(error: unknown): string {
  if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  return error instanceof Error ? error.message : String(error);
}

/** An error's message without the `FILE: ` prefix an AuditError adds (for a problem already placed by its JSON path). */
export function messageWithoutFile(error: unknown): string {
  if (error instanceof AuditError && error.file !== undefined && error.message.startsWith(`${error.file}: `)) return error.message.slice(error.file.length + 2);
  return problemText(error);
}

const CONFIG_ROOTS = /^(probes|children|target|classMap|existingChildren|foundation|output|compute|name)\b/;

/**
 * Where a probe's validation error belongs in the config: the AuditError's `file` when it is a config path
 * (`probes.interventions.triggers[0].spec`), else `fallback` with the file (a PNG, a dataset) kept in the message.
 */
export function problemFromError(error: unknown, fallback: string): { path: string; message: string } {
  const file = (error as { file?: unknown }).file;
  if (typeof file === 'string' && CONFIG_ROOTS.test(file)) return { path: file, message: messageWithoutFile(error) };
  return { path: fallback, message: error instanceof Error ? error.message : String(error) };
}
