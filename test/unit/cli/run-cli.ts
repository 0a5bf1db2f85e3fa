import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The compiled CLI entry (tests run from out/, like the bundle does from dist/). */
export const CLI = join(__dirname, '..', '..', '..', 'src', 'cli', 'main.js');
export const REPO = join(__dirname, '..', '..', '..', '..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bias-audit ARGS` in a child process and collects its output. */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? REPO, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const S = join(REPO, 'samples', 'fashion-mnist');
/** A few images of three sample classes, as a SPEC. */
export function sampleSpec(split: 'pretrain' | 'finetune' | 'test', selection = 'classes=0-2&perClass=8'): string {
  return `idx:${join(S, `${split}-images-idx3-ubyte.gz`)},${join(S, `${split}-labels-idx1-ubyte.gz`)}?${selection}`;
}
