// The `bias-audit` command line. Exit codes: 0 ok, 1 failure (an AuditError names the file and the problem),
// 2 bad usage. `--json` prints exactly one JSON object on stdout; everything else goes to stderr.
import { toolInfo } from '../audit/run-folder/tool-version';
import { AuditError, CancelledError, UsageError } from '../engine/util/errors';
import { parseArgs } from './args';
import type { CliContext, Command } from './command';
import { benchCommand } from './commands/bench';
import { blocksCommand } from './commands/blocks';
import { demoCommand } from './commands/demo';
import { evalCommand } from './commands/eval';
import { finetuneCommand } from './commands/finetune';
import { pretrainCommand } from './commands/pretrain';
import { probeCommand } from './commands/probe';
import { reportCommand } from './commands/report';
import { runCommand } from './commands/run';
import { scratchCommand } from './commands/scratch';
import { stimuliCommand } from './commands/stimuli';
import { ProgressBar } from './progress';

/** Every subcommand; `bias-audit --help` lists them in this order. */
export const COMMANDS: Command[] = [pretrainCommand, finetuneCommand, scratchCommand, evalCommand, blocksCommand, probeCommand, stimuliCommand, runCommand, reportCommand, demoCommand, benchCommand];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'bias-audit: audit which biases finetuned image classifiers inherited from their foundation model',
    '',
    'usage: bias-audit COMMAND [options]     (bias-audit COMMAND --help for its options)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(`${toolInfo().version}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    process.stderr.write(`bias-audit: unknown command "${name}"\n\n${help()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping after the current batch (press Ctrl-C again to quit now)...\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const args = parseArgs(rest, command.spec, name);
    const json = args.options.get('json') === true;
    const progress = new ProgressBar(process.stderr, args.options.get('quiet') === true);
    const ctx: CliContext = {
      out: (text) => process.stdout.write(`${text}\n`),
      log: (line) => progress.log(line),
      progress,
      json,
      signal: controller.signal,
    };
    await command.run(args, ctx);
    progress.end();
    return 0;
  } catch (e) {
    process.stderr.write('\n');
    if (e instanceof UsageError) {
      process.stderr.write(`bias-audit ${name}: ${e.message.replace(new RegExp(`^${name}: `), '')}\n(see bias-audit ${name} --help)\n`);
      return 2;
    }
    if (e instanceof CancelledError) {
      process.stderr.write(`bias-audit ${name}: cancelled; rerun with --resume to continue\n`);
      return 130;
    }
    if (e instanceof AuditError) {
      process.stderr.write(`bias-audit ${name}: error: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`bias-audit ${name}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
