#!/usr/bin/env node
// The screenshot test: opens the results panel on the fixture run through the command palette of a real VS Code
// (code-server + headless chromium), checks inside the webview's DOM that its tables, charts and stimulus images are
// there (content, not pixels) and saves test-output/results-panel.png. With --readme it also saves a PNG of each panel
// and tab into media/screenshots/ for the README.
import fs from 'node:fs';
import path from 'node:path';
import { checkHarness, launchChromium, OUTPUT, prepareWorkspace, ROOT, startCodeServer, ts, workbenchUrl } from './harness.mjs';

checkHarness();
const readme = process.argv.includes('--readme');
const verbose = !!process.env.VERBOSE;
const workspace = prepareWorkspace();
fs.mkdirSync(OUTPUT, { recursive: true });
let server;
let browser;
let code = 1;

async function runCommand(page, title) {
  for (let attempt = 0; attempt < 10; attempt++) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10000 });
    await input.fill(`>${title}`);
    const item = page.locator('.quick-input-list .monaco-list-row', { hasText: title });
    try {
      await item.first().waitFor({ timeout: 3000 });
      await page.keyboard.press('Enter');
      return;
    } catch {
      // the extension host has not registered the command yet: close the palette and wait for it
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
  }
  throw new Error(`command "${title}" never appeared in the command palette`);
}

async function pickQuickItem(page, text) {
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: text });
  await row.first().waitFor({ timeout: 15000 });
  await row.first().click();
}

/** The webview's content frame whose document shows `selector` (VS Code nests it: iframe.webview > #active-frame). */
async function webviewFrame(page, selector, timeout = 60000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (!frame.url().includes('fake.html') && !frame.name().includes('active-frame') && frame.parentFrame() === page.mainFrame()) continue;
      try {
        if ((await frame.locator(selector).count()) > 0) return frame;
      } catch {
        /* frame navigating */
      }
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no webview frame shows ${selector} after ${timeout} ms`);
}

async function counts(frame) {
  return frame.evaluate(() => ({
    tables: document.querySelectorAll('table.data').length,
    charts: [...document.querySelectorAll('figure.chart')].filter((f) => f.querySelector('svg')).length,
    images: [...document.querySelectorAll('img.stimulus')].filter((i) => i.complete && i.naturalWidth > 0).length,
    headings: [...document.querySelectorAll('h2')].map((h) => h.textContent),
  }));
}

try {
  server = await startCodeServer({ verbose, env: { BIAS_AUDIT_FAKE_AUDIT: '1', BIAS_AUDIT_FAKE_FIXTURE: path.join(ROOT, 'test/fixtures/results/run-fixture') } });
  browser = await launchChromium({ width: 1500, height: 1000 });
  const page = browser.context.pages()[0] || (await browser.context.newPage());
  page.on('console', (m) => {
    if (verbose || (m.type() === 'error' && /webview|panel|bias/i.test(m.text()))) console.log(`[browser ${m.type()}] ${m.text()}`);
  });
  await page.goto(workbenchUrl(server, workspace, null));
  await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 60000 });
  console.log(`[${ts()}] workbench loaded`);

  await runCommand(page, 'Bias Audit: Open Results');
  await pickQuickItem(page, 'fixture-20251120-091403');
  const frame = await webviewFrame(page, 'figure.chart svg');
  // Images sit in a hidden tab until it is selected: wait until they are decoded, not visible.
  await frame.waitForFunction(() => [...document.querySelectorAll('img.stimulus')].filter((i) => i.complete && i.naturalWidth > 0).length >= 10, null, { timeout: 30000 }).catch(() => undefined);
  const found = await counts(frame);
  console.log(`[${ts()}] results panel: ${JSON.stringify(found)}`);
  const shot = path.join(OUTPUT, 'results-panel.png');
  await page.screenshot({ path: shot });
  console.log(`[${ts()}] saved ${shot}`);
  const problems = [];
  if (found.tables !== 13) problems.push(`expected the fixture's 13 tables, found ${found.tables}`);
  if (found.charts !== 7) problems.push(`expected the fixture's 7 charts, found ${found.charts}`);
  if (found.images < 10) problems.push(`expected the 10 stimulus images to load, ${found.images} did`);
  for (const h of ['Strong stimuli', 'Interventions', 'Group disparity by person', 'Associations and Bias Transfer Score']) if (!found.headings.includes(h)) problems.push(`missing section "${h}"`);
  if (problems.length > 0) throw new Error(problems.join('; '));

  if (readme) {
    const dir = path.join(ROOT, 'media/screenshots');
    fs.mkdirSync(dir, { recursive: true });
    const tabs = { Overview: 'results-overview', 'Strong stimuli': 'results-strong-stimuli', Interventions: 'results-interventions', Groups: 'results-groups', Associations: 'results-associations' };
    for (const [tab, file] of Object.entries(tabs)) {
      await frame.locator('vscode-tab-header', { hasText: tab }).first().click();
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(dir, `${file}.png`) });
      if (tab === 'Strong stimuli') {
        await frame.locator('.gallery').scrollIntoViewIfNeeded();
        await page.screenshot({ path: path.join(dir, 'results-gallery.png') });
      }
    }
    await runCommand(page, 'Bias Audit: Compare Runs');
    await pickQuickItem(page, 'fixture-20251120-091403');
    await pickQuickItem(page, 'fixture-20251120-091403');
    await webviewFrame(page, '.compare figure.chart svg');
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(dir, 'compare.png') });
    await runCommand(page, 'Bias Audit: Focus on Bias Audit View');
    await webviewFrame(page, '.live');
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(dir, 'live-view.png') });
    console.log(`[${ts()}] README screenshots in ${dir}`);
  }
  code = 0;
} catch (e) {
  console.error(`[${ts()}] screenshot test failed:`, e);
  if (browser) await browser.context.pages()[0]?.screenshot({ path: path.join(OUTPUT, 'results-panel-failure.png') }).catch(() => {});
} finally {
  if (browser) await browser.close();
  if (server) await server.stop();
  fs.rmSync(workspace, { recursive: true, force: true });
}
process.exit(code);
