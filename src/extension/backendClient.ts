/**
 * The extension's side of the backend process: spawns it (the extension host's own Node, ELECTRON_RUN_AS_NODE for
 * desktop VS Code), speaks the protocol over its stdio, restarts it within a budget when it crashes, and stops it
 * with a grace period. Its stderr goes to the Output channel, so a crash is explained there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import {
  Exit,
  Exiting,
  GetStatus,
  Initialize,
  JobFinished,
  Log,
  Progress,
  Shutdown,
  StatusChanged,
  TrainingCurve,
  type BackendStatus,
  type ComputeBackendChoice,
  type JobOutcome,
  type ProgressUpdate,
  type TrainingCurvePoint,
} from '../protocol/backendProtocol';
import { RestartBudget } from './restartBudget';

export type BackendState = 'stopped' | 'starting' | 'running' | 'failed';

export interface BackendClientOptions {
  backendScript: string;
  clientVersion: string;
  output: vscode.OutputChannel;
  settings: () => { computeBackend: ComputeBackendChoice; threads: number | null };
  /** Extra environment for the backend process. */
  environment: () => Record<string, string>;
  /** Workspace trust: the backend loads models and data, so it never starts in an untrusted workspace. */
  isTrusted: () => boolean;
  restartBudget?: RestartBudget;
  stopGraceMs?: number;
}

export class BackendClient implements vscode.Disposable {
  private process: ChildProcess | undefined;
  private connection: MessageConnection | undefined;
  private starting: Promise<MessageConnection> | undefined;
  private stopping = false;
  private disposed = false;
  private lastExitReason = '';
  private _state: BackendState = 'stopped';
  private _detail = 'not started';
  private readonly budget: RestartBudget;

  private readonly stateEmitter = new vscode.EventEmitter<{ state: BackendState; detail: string }>();
  private readonly progressEmitter = new vscode.EventEmitter<ProgressUpdate>();
  private readonly curveEmitter = new vscode.EventEmitter<TrainingCurvePoint>();
  private readonly jobFinishedEmitter = new vscode.EventEmitter<JobOutcome>();
  private readonly statusEmitter = new vscode.EventEmitter<BackendStatus>();
  /** Fires when a running backend died unexpectedly (before any restart). */
  private readonly crashEmitter = new vscode.EventEmitter<{ reason: string; willRestart: boolean }>();

  readonly onDidChangeState = this.stateEmitter.event;
  readonly onProgress = this.progressEmitter.event;
  readonly onTrainingCurve = this.curveEmitter.event;
  readonly onJobFinished = this.jobFinishedEmitter.event;
  readonly onStatus = this.statusEmitter.event;
  readonly onCrash = this.crashEmitter.event;

  constructor(private readonly options: BackendClientOptions) {
    this.budget = options.restartBudget ?? new RestartBudget();
  }

  get state(): BackendState {
    return this._state;
  }

  get detail(): string {
    return this._detail;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** The connection, starting the backend first when needed. */
  async ready(): Promise<MessageConnection> {
    if (this.disposed) throw new Error('the backend client is disposed');
    if (!this.options.isTrusted()) throw new Error('the bias audit backend does not start in an untrusted workspace (results can still be viewed)');
    if (this.connection && this._state === 'running') return this.connection;
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private setState(state: BackendState, detail: string): void {
    this._state = state;
    this._detail = detail;
    this.stateEmitter.fire({ state, detail });
  }

  private log(line: string): void {
    this.options.output.appendLine(`[${new Date().toISOString()}] ${line}`);
  }

  private async start(): Promise<MessageConnection> {
    this.setState('starting', 'starting the backend process');
    const settings = this.options.settings();
    // The extension host's executable runs the backend: Node in code-server/remote hosts, Electron acting as Node
    // in desktop VS Code (ELECTRON_RUN_AS_NODE).
    const child = spawn(process.execPath, [this.options.backendScript], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...this.options.environment() },
    });
    this.process = child;
    this.lastExitReason = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => this.options.output.append(chunk));
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.once('exit', (code, signal) => this.onProcessExit(child, code, signal));
    try {
      await spawned;
    } catch (e) {
      this.process = undefined;
      this.setState('failed', `cannot start ${process.execPath}: ${(e as Error).message}`);
      throw e;
    }
    this.log(`backend started: pid ${child.pid}, ${process.execPath} ${this.options.backendScript}`);
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    connection.onNotification(Progress.type, (p) => this.progressEmitter.fire(p));
    connection.onNotification(TrainingCurve.type, (p) => this.curveEmitter.fire(p));
    connection.onNotification(JobFinished.type, (p) => this.jobFinishedEmitter.fire(p));
    connection.onNotification(StatusChanged.type, (s) => this.statusEmitter.fire(s));
    connection.onNotification(Log.type, () => undefined /* already on stderr, which the output channel shows */);
    connection.onNotification(Exiting.type, (p) => {
      this.lastExitReason = p.reason;
      this.log(`backend says it is exiting (${p.code}): ${p.reason}`);
    });
    connection.onError(([error]) => this.log(`backend connection error: ${error.message}`));
    connection.listen();
    this.connection = connection;
    try {
      const result = await connection.sendRequest(Initialize.type, {
        parentPid: process.pid,
        clientVersion: this.options.clientVersion,
        computeBackend: settings.computeBackend,
        threads: settings.threads,
      });
      this.log(`backend ${result.serverVersion} ready (protocol ${result.protocolVersion}, node ${result.nodeVersion}, pid ${result.pid})`);
      this.setState('running', `pid ${result.pid}`);
      void connection.sendRequest(GetStatus.type).then((s) => this.statusEmitter.fire(s), () => undefined);
      return connection;
    } catch (e) {
      this.setState('failed', `the backend did not initialise: ${(e as Error).message}`);
      child.kill('SIGKILL');
      throw e;
    }
  }

  private onProcessExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.process !== child) return;
    this.process = undefined;
    this.connection?.dispose();
    this.connection = undefined;
    const how = signal ? `killed by ${signal}` : `exit code ${code}`;
    if (this.stopping || this.disposed) {
      this.log(`backend stopped (${how})`);
      this.setState('stopped', 'stopped');
      return;
    }
    const reason = `${how}${this.lastExitReason ? `: ${this.lastExitReason}` : ''}`;
    const willRestart = this.budget.allowRestart(Date.now());
    this.log(`backend crashed (${reason}); ${willRestart ? 'restarting' : `not restarting: more than ${this.budget.maxRestarts} crashes in ${this.budget.windowMs / 60000} min`}`);
    this.crashEmitter.fire({ reason, willRestart });
    if (willRestart) {
      this.ready().catch((e: Error) => this.log(`restart failed: ${e.message}`));
    } else {
      this.setState('failed', `crashed (${reason}); use Restart Backend`);
    }
  }

  /** Shutdown + Exit, then SIGTERM and SIGKILL if it lingers. Idempotent; never throws for a backend that is not running. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      if (this._state !== 'failed') this.setState('stopped', 'stopped');
      return;
    }
    this.stopping = true;
    const grace = this.options.stopGraceMs ?? 2000;
    const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
    const timeout = (ms: number) => new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());
    try {
      const connection = this.connection;
      if (connection) {
        await Promise.race([connection.sendRequest(Shutdown.type).catch(() => undefined), timeout(grace)]);
        await connection.sendNotification(Exit.type).catch(() => undefined);
      }
      if ((await Promise.race([exited, timeout(grace)])) === 'timeout') {
        child.kill('SIGTERM');
        if ((await Promise.race([exited, timeout(grace)])) === 'timeout') child.kill('SIGKILL');
      }
      await exited;
    } finally {
      this.stopping = false;
    }
  }

  /** A manual restart: resets the crash budget. */
  async restart(): Promise<void> {
    await this.stop();
    this.budget.reset();
    await this.ready();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    await this.stop();
    this.disposed = true;
    for (const emitter of [this.stateEmitter, this.progressEmitter, this.curveEmitter, this.jobFinishedEmitter, this.statusEmitter, this.crashEmitter]) emitter.dispose();
  }
}
