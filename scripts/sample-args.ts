// The command line the sample-making scripts share: --source DIR, --out DIR and --seed N, each optional.

/** Parses `--source DIR --out DIR --seed N` (any subset); anything else throws the usage of `script`. */
export function parseSampleArgs(argv: string[], script: string): { source?: string; out?: string; seed?: string } {
  const args: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!['--source', '--out', '--seed'].includes(key) || value === undefined) {
      throw new Error(`usage: ${script} [--source DIR] [--out DIR] [--seed N] (got '${argv.slice(i).join(' ')}')`);
    }
    args[key.slice(2)] = value;
  }
  return args;
}
