/**
 * A progress bar on stderr (stdout stays clean for --json). On a terminal it redraws one line; otherwise
 * (CI logs, pipes) it prints a line at most every few seconds so logs stay readable.
 */
export class ProgressBar {
  private lastLine = 0;
  private drawn = false;
  private readonly tty: boolean;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, private readonly quiet = false) {
    this.tty = Boolean(stream.isTTY);
  }

  update(label: string, done: number, total: number, detail = ''): void {
    if (this.quiet) return;
    const now = Date.now();
    const finished = done >= total;
    if (!this.tty && !finished && now - this.lastLine < 5000) return;
    this.lastLine = now;
    const width = 24;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(frac * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const line = `${label} ${bar} ${done}/${total} ${detail}`;
    if (this.tty) {
      this.stream.write(`\r\x1b[K${line}`);
      this.drawn = true;
      if (finished) this.end();
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** Finishes the current line before other output. */
  end(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }

  log(line: string): void {
    if (this.quiet) return;
    this.end();
    this.stream.write(`${line}\n`);
  }
}

/** "1m 05s" style duration. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const total = Math.round(s);
  const m = Math.floor(total / 60);
  const sec = total % 60;
  return m > 0 ? `${m}m ${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
