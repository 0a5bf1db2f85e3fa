/**
 * Jobs started from the editor (audits and single probes): sends StartAudit / RunProbe, mirrors the backend's progress
 * as a cancellable VS Code progress notification, keeps the live state (curves, latest progress) for the Bias Audit
 * view, and after a backend crash offers to resume the interrupted audit (its finished steps are reused by the run's
 * step hashes).
 */
import * as vscode from 'vscode';
import { CancelJob, RunProbe, StartAudit, type JobOutcome, type ProgressUpdate } from '../protocol/backendProtocol';
import type { LiveCurve } from '../protocol/webviewProtocol';
import type { BackendClient } from './backendClient';
import { formatProgress, stepFraction } from './progressText';
import { readSettings, outputFolderUri } from './settings';

/** A single probe as the editor asks for it; the compute backend comes from the settings. */
export type ProbeJobRequest = Omit<RunProbe.Params, 'computeBackend'>;

interface RunningJob {
  jobId: string;
  kind: JobOutcome['kind'];
  /** The audit config; null for a single probe. */
  configUri: vscode.Uri | null;
  runDir: string | null;
  finish: (outcome: JobOutcome) => void;
}

export class AuditJobs implements vscode.Disposable {
  private readonly jobs = new Map<string, RunningJob>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly updated = new vscode.EventEmitter<void>();
  private readonly finished = new vscode.EventEmitter<JobOutcome & { configUri: vscode.Uri | null }>();
  private readonly progressEmitter = new vscode.EventEmitter<ProgressUpdate>();
  /** Fires on every change of the live state (progress, curves, start/finish). */
  readonly onDidUpdate = this.updated.event;
  readonly onDidFinish = this.finished.event;
  readonly onProgress = this.progressEmitter.event;
  lastProgress: ProgressUpdate | null = null;
  curves: LiveCurve[] = [];

  constructor(
    private readonly client: BackendClient,
    private readonly output: vscode.OutputChannel,
  ) {
    this.disposables.push(
      client.onProgress((p) => {
        const job = this.jobs.get(p.jobId);
        if (!job) return;
        job.runDir = p.runDir ?? job.runDir;
        this.lastProgress = p;
        this.progressEmitter.fire(p);
        this.updated.fire();
      }),
      client.onTrainingCurve((c) => {
        if (!this.jobs.has(c.jobId)) return;
        let curve = this.curves.find((x) => x.modelId === c.modelId);
        if (!curve) this.curves.push((curve = { modelId: c.modelId, modelLabel: c.modelLabel, points: [] }));
        curve.points = [...curve.points.filter((p) => p.epoch !== c.point.epoch), c.point];
        this.updated.fire();
      }),
      client.onJobFinished((outcome) => this.jobs.get(outcome.jobId)?.finish(outcome)),
      client.onCrash(({ reason }) => {
        for (const job of [...this.jobs.values()]) {
          job.finish({ jobId: job.jobId, kind: job.kind, state: 'failed', runDir: job.runDir, error: { message: `the backend crashed (${reason})`, code: 'BACKEND_CRASHED', file: null }, probeResult: null });
        }
      }),
      this.updated,
      this.finished,
      this.progressEmitter,
    );
  }

  get running(): boolean {
    return this.jobs.size > 0;
  }

  runningJobIds(): string[] {
    return [...this.jobs.keys()];
  }

  /** Starts an audit and resolves with its outcome; the progress notification has a cancel button. */
  async start(configUri: vscode.Uri): Promise<JobOutcome> {
    const connection = await this.client.ready();
    const settings = readSettings();
    const outDir = outputFolderUri(settings)?.fsPath ?? null;
    const { jobId } = await connection.sendRequest(StartAudit.type, { configPath: configUri.fsPath, outDir, computeBackend: settings.computeBackend });
    this.curves = [];
    this.lastProgress = null;
    this.output.appendLine(`audit ${jobId} started: ${configUri.fsPath}`);
    const outcome = await this.follow(jobId, 'audit', configUri, `Bias audit: ${vscode.workspace.asRelativePath(configUri)}`);
    this.report(outcome, configUri);
    return outcome;
  }

  /** Runs one probe on one model and resolves with its outcome (`probeResult` holds the probe's JSON). */
  async startProbe(request: ProbeJobRequest): Promise<JobOutcome> {
    const connection = await this.client.ready();
    const { jobId } = await connection.sendRequest(RunProbe.type, { ...request, computeBackend: readSettings().computeBackend });
    this.lastProgress = null;
    this.output.appendLine(`probe ${jobId} started: ${request.probe} on ${request.modelPath}`);
    return this.follow(jobId, 'probe', null, `Bias audit probe: ${request.probe} on ${vscode.workspace.asRelativePath(request.modelPath)}`);
  }

  private async follow(jobId: string, kind: JobOutcome['kind'], configUri: vscode.Uri | null, title: string): Promise<JobOutcome> {
    let finish!: (outcome: JobOutcome) => void;
    const finished = new Promise<JobOutcome>((resolve) => (finish = resolve));
    this.jobs.set(jobId, {
      jobId,
      kind,
      configUri,
      runDir: null,
      finish: (o) => {
        this.jobs.delete(jobId);
        finish(o);
      },
    });
    this.updated.fire();
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      let reported = 0;
      const sub = this.onProgress((p) => {
        if (p.jobId !== jobId) return;
        const fraction = Math.round((100 * (p.stepIndex + stepFraction(p))) / Math.max(1, p.stepsTotal));
        progress.report({ message: formatProgress(p), increment: Math.max(0, fraction - reported) });
        reported = Math.max(reported, fraction);
      });
      const cancelSub = token.onCancellationRequested(() => void this.cancel(jobId));
      try {
        await finished;
      } finally {
        sub.dispose();
        cancelSub.dispose();
      }
    });
    const outcome = await finished;
    this.output.appendLine(`${kind} ${jobId} ${outcome.state}${outcome.error ? `: ${outcome.error.message}` : ''}${outcome.runDir ? ` (${outcome.runDir})` : ''}`);
    this.updated.fire();
    this.finished.fire({ ...outcome, configUri });
    return outcome;
  }

  private report(outcome: JobOutcome, configUri: vscode.Uri): void {
    if (outcome.state === 'done' && outcome.runDir) {
      const runUri = vscode.Uri.file(outcome.runDir);
      void vscode.window.showInformationMessage('Bias audit finished.', 'Open Results').then((a) => a && vscode.commands.executeCommand('biasAudit.openResults', runUri));
    } else if (outcome.state === 'cancelled') {
      void vscode.window.showInformationMessage('Bias audit cancelled. Running it again resumes where it stopped.', 'Resume').then((a) => a && vscode.commands.executeCommand('biasAudit.runAudit', configUri));
    } else if (outcome.state === 'failed') {
      const crashed = outcome.error?.code === 'BACKEND_CRASHED';
      const message = `Bias audit failed: ${outcome.error?.message ?? 'unknown error'}`;
      void vscode.window.showErrorMessage(message, ...(crashed ? ['Resume', 'Show Log'] : ['Show Log'])).then((a) => {
        if (a === 'Resume') void vscode.commands.executeCommand('biasAudit.runAudit', configUri);
        if (a === 'Show Log') this.output.show();
      });
    }
  }

  /** Cancels one job, or every running job. */
  async cancel(jobId?: string): Promise<boolean> {
    const ids = jobId ? [jobId] : this.runningJobIds();
    if (ids.length === 0 || this.client.state !== 'running') return false;
    const connection = await this.client.ready();
    const answers = await Promise.all(ids.map((id) => connection.sendRequest(CancelJob.type, { jobId: id })));
    return answers.some((a) => a.cancelled);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
