#!/usr/bin/env node
// Runs test/integration/suite (compiled to out/) inside a real VS Code extension host (code-server), driven by
// headless chromium. Exit code = the suite's result. Then runs the screenshot test (screenshots.mjs).
// Env: VERBOSE=1, TEST_TIMEOUT_MS (default 600000), BIAS_AUDIT_INTEGRATION_AUDIT=fake|real (default fake until the
// audit run exists: the backend then uses the BIAS_AUDIT_FAKE_AUDIT test double).
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { checkHarness, launchChromium, prepareWorkspace, ROOT, startCodeServer, ts, workbenchUrl } from './harness.mjs';

checkHarness();
const suite = path.join(ROOT, 'out/test/integration/suite/index.js');
if (!fs.existsSync(suite)) {
  console.error(`${suite} is missing: run tsc -p . first.`);
  process.exit(2);
}
const mode = process.env.BIAS_AUDIT_INTEGRATION_AUDIT || 'fake';
const env = { BIAS_AUDIT_INTEGRATION_AUDIT: mode };
if (mode === 'fake') Object.assign(env, { BIAS_AUDIT_FAKE_AUDIT: '1', BIAS_AUDIT_FAKE_FIXTURE: path.join(ROOT, 'test/fixtures/results/run-fixture'), BIAS_AUDIT_FAKE_BATCH_MS: '25' });
const TIMEOUT = Number(process.env.TEST_TIMEOUT_MS || 600000);
const verbose = !!process.env.VERBOSE;
let server;
let browser;
let exitCode = 1;
const workspace = prepareWorkspace();
async function cleanup() {
  if (browser) await browser.close();
  if (server) await server.stop();
  fs.rmSync(workspace, { recursive: true, force: true });
}
const timer = setTimeout(async () => {
  console.error(`[${ts()}] TIMEOUT after ${TIMEOUT} ms`);
  await cleanup();
  process.exit(124);
}, TIMEOUT);

try {
  server = await startCodeServer({ verbose, env });
  console.log(`[${ts()}] code-server up at ${server.url}; audit mode: ${mode}`);
  browser = await launchChromium();
  const page = browser.context.pages()[0] || (await browser.context.newPage());
  page.on('pageerror', (e) => console.error('[pageerror]', e.message));
  const noise = /\[(AgentHost|ChatModelSelection|AccountPolicyGate)|ECONNREFUSED 127\.0\.0\.1:9|^\s+at |Creating a socket|connection token|grace time|builtin extensions cache|Service Worker/;
  const done = new Promise((resolve) => {
    // VS Code calls these when running extension tests in the web workbench (IAutomatedWindow).
    void page.exposeFunction('codeAutomationLog', (type, args) => {
      const line = util.format(...(args || []));
      if (!verbose && noise.test(line)) return;
      (type === 'error' ? console.error : console.log)(line);
    });
    void page.exposeFunction('codeAutomationExit', (code) => resolve(code));
  });
  await page.goto(workbenchUrl(server, workspace, suite));
  exitCode = await done;
  console.log(`[${ts()}] extension tests finished, exit code ${exitCode}`);
} catch (e) {
  console.error(`[${ts()}] harness error:`, e);
  exitCode = 2;
} finally {
  clearTimeout(timer);
  await cleanup();
}
process.exit(exitCode);
