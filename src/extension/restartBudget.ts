/**
 * How many crashes the extension forgives before it stops restarting the backend (vscode-languageclient's default:
 * 4 restarts within 3 minutes). A manual "Restart Backend" resets it.
 */
export class RestartBudget {
  private crashes: number[] = [];

  constructor(
    readonly maxRestarts = 4,
    readonly windowMs = 3 * 60 * 1000,
  ) {}

  /** Records a crash at `now`; true when one more restart is allowed. */
  allowRestart(now: number): boolean {
    this.crashes = this.crashes.filter((t) => now - t < this.windowMs);
    this.crashes.push(now);
    return this.crashes.length <= this.maxRestarts;
  }

  reset(): void {
    this.crashes = [];
  }
}
