#!/usr/bin/env node
// Runs the integration suites (compiled to out/) inside a real VS Code extension host (code-server), driven by
// headless chromium, against the REAL audit: first test/integration/suite/extension.test.ts in a trusted workspace,
// then untrusted.test.ts in the same kind of workspace opened in restricted mode. Exit code 0 only if both pass.
// (`npm run test:integration` runs the screenshot test, screenshots.mjs, after this.)
// Env: VERBOSE=1, TEST_TIMEOUT_MS (per session, default 600000), SUITES=trusted,untrusted (which sessions).
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { checkHarness, launchChromium, prepareWorkspace, ROOT, startCodeServer, ts, workbenchUrl } from './harness.mjs';

checkHarness();
const SESSIONS = {
  trusted: { index: 'out/test/integration/suite/index.js', trusted: true },
  untrusted: { index: 'out/test/integration/suite/untrustedIndex.js', trusted: false },
};
const chosen = (process.env.SUITES || 'trusted,untrusted').split(',').map((s) => s.trim()).filter(Boolean);
for (const name of chosen) {
  if (!SESSIONS[name]) {
    console.error(`unknown suite "${name}" (expected ${Object.keys(SESSIONS).join(', ')})`);
    process.exit(2);
  }
  if (!fs.existsSync(path.join(ROOT, SESSIONS[name].index))) {
    console.error(`${SESSIONS[name].index} is missing: run tsc -p . first.`);
    process.exit(2);
  }
}
const TIMEOUT = Number(process.env.TEST_TIMEOUT_MS || 600000);
const verbose = !!process.env.VERBOSE;
const noise = /\[(AgentHost|ChatModelSelection|AccountPolicyGate)|ECONNREFUSED 127\.0\.0\.1:9|^\s+at |Creating a socket|connection token|grace time|builtin extensions cache|Service Worker/;

/** One code-server + chromium session running one suite; resolves with the suite's exit code. */
async function runSession(name) {
  const { index, trusted } = SESSIONS[name];
  const workspace = prepareWorkspace();
  let server;
  let browser;
  let timer;
  try {
    server = await startCodeServer({ verbose, trusted, env: { BIAS_AUDIT_INTEGRATION_SUITE: name } });
    console.log(`[${ts()}] ${name}: code-server up at ${server.url} (workspace ${trusted ? 'trusted' : 'untrusted'})`);
    browser = await launchChromium();
    const page = browser.context.pages()[0] || (await browser.context.newPage());
    page.on('pageerror', (e) => console.error('[pageerror]', e.message));
    const done = new Promise((resolve) => {
      // VS Code calls these when running extension tests in the web workbench (IAutomatedWindow).
      void page.exposeFunction('codeAutomationLog', (type, args) => {
        const line = util.format(...(args || []));
        if (!verbose && noise.test(line)) return;
        (type === 'error' ? console.error : console.log)(line);
      });
      void page.exposeFunction('codeAutomationExit', (code) => resolve(code));
    });
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => {
        console.error(`[${ts()}] ${name}: TIMEOUT after ${TIMEOUT} ms`);
        resolve(124);
      }, TIMEOUT);
    });
    await page.goto(workbenchUrl(server, workspace, path.join(ROOT, index)));
    const code = await Promise.race([done, timeout]);
    console.log(`[${ts()}] ${name}: extension tests finished, exit code ${code}`);
    return code;
  } catch (e) {
    console.error(`[${ts()}] ${name}: harness error:`, e);
    return 2;
  } finally {
    clearTimeout(timer);
    if (browser) await browser.close();
    if (server) await server.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

let exitCode = 0;
for (const name of chosen) {
  const code = await runSession(name);
  if (code !== 0 && exitCode === 0) exitCode = code;
}
console.log(`[${ts()}] integration suites ${chosen.join(', ')}: ${exitCode === 0 ? 'passed' : `FAILED (exit ${exitCode})`}`);
process.exit(exitCode);
