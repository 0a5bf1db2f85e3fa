#!/usr/bin/env node
// The screenshot test: runs a REAL audit with the project's CLI (the tiny audit of the test workspace), then opens its
// results panel through the command palette of a real VS Code (code-server + headless chromium), checks inside the
// webview's DOM that the tables, charts and images the run's results.json calls for are there (content, not pixels)
// and saves test-output/results-panel.png.
// --readme: runs the larger showcase audit (audits/showcase.biasaudit.json; or --config PATH for another config) and
// saves a PNG of each results tab that has content, the compare panel and the Bias Audit view into media/screenshots/
// (replacing the PNGs there). `npm run screenshots` does that.
import fs from 'node:fs';
import path from 'node:path';
import { checkHarness, launchChromium, OUTPUT, prepareWorkspace, ROOT, runRealAudit, startCodeServer, ts, workbenchUrl } from './harness.mjs';

checkHarness();
const readme = process.argv.includes('--readme');
const configFlag = process.argv.indexOf('--config');
const verbose = !!process.env.VERBOSE;
fs.mkdirSync(OUTPUT, { recursive: true });
let workspace;
let server;
let browser;
let code = 1;

async function runCommand(page, title) {
  const input = page.locator('.quick-input-widget input');
  const item = page.locator('.quick-input-list .monaco-list-row', { hasText: title });
  for (let attempt = 0; attempt < 10; attempt++) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 10000 });
    await input.fill(`>${title}`);
    try {
      await item.first().waitFor({ timeout: 5000 });
      await page.keyboard.press('Enter');
      return;
    } catch {
      // the extension host has not registered the command yet: close the palette and ask again
      await page.keyboard.press('Escape');
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

/** What the results panel must show for these results (the sections results.json has, and their least content). */
function expectedContent(results) {
  const p = results.probes;
  const trained = (results.training ?? []).some((t) => t.epochs.length > 0);
  const headings = [
    ...(p.strongStimuli ? ['Strong stimuli'] : []),
    ...(p.interventions ? ['Interventions'] : []),
    ...(p.plantedBias ? ['Planted bias'] : []),
    ...(p.groupDisparity ? [`Group disparity by ${p.groupDisparity.attribute}`] : []),
    ...(p.associations ? ['Associations and Bias Transfer Score'] : []),
  ];
  // Lineage; stimuli: transfer-by-depth and label-mode tables; interventions: transfer and per-model tables; planted: 2;
  // groups: per-group and bias-vs-accuracy tables; associations: 3 tables.
  const tables = 1 + (p.strongStimuli ? 2 : 0) + (p.interventions ? 2 : 0) + (p.plantedBias ? 2 : 0) + (p.groupDisparity ? 2 : 0) + (p.associations ? 3 : 0);
  // Loss and accuracy curves; transfer by depth; ASR and histogram; bias vs accuracy; association scatter.
  const charts = (trained ? 2 : 0) + (p.strongStimuli ? 1 : 0) + (p.interventions ? 2 : 0) + (p.groupDisparity ? 1 : 0) + (p.associations ? 1 : 0);
  const images = (p.strongStimuli?.stimuli.length ?? 0) + (p.interventions?.triggers[0]?.example ? 1 : 0);
  return { headings, tables, charts, images };
}

try {
  workspace = prepareWorkspace();
  const config = configFlag > 0 ? path.resolve(process.argv[configFlag + 1]) : path.join(workspace, 'audits', readme ? 'showcase.biasaudit.json' : 'tiny.biasaudit.json');
  const audit = runRealAudit(workspace, config);
  const results = JSON.parse(fs.readFileSync(path.join(audit.runDir, 'results.json'), 'utf8'));
  const expected = expectedContent(results);
  if (expected.headings.length === 0) throw new Error(`the real run ${audit.runId} has no probe sections: nothing to check`);
  console.log(`[${ts()}] real run ${audit.runId}: ${expected.headings.join(', ')}`);

  server = await startCodeServer({ verbose });
  browser = await launchChromium({ width: 1500, height: 1000 });
  const page = browser.context.pages()[0] || (await browser.context.newPage());
  page.on('console', (m) => {
    if (verbose || (m.type() === 'error' && /webview|panel|bias/i.test(m.text()))) console.log(`[browser ${m.type()}] ${m.text()}`);
  });
  await page.goto(workbenchUrl(server, workspace, null));
  await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 60000 });
  console.log(`[${ts()}] workbench loaded`);

  await runCommand(page, 'Bias Audit: Open Results');
  await pickQuickItem(page, audit.runId);
  const frame = await webviewFrame(page, 'figure.chart svg');
  // Images sit in hidden tabs until selected: wait until they are decoded, not visible.
  await frame
    .waitForFunction((n) => [...document.querySelectorAll('img.stimulus')].filter((i) => i.complete && i.naturalWidth > 0).length >= n, expected.images, { timeout: 30000 })
    .catch(() => undefined);
  const found = await counts(frame);
  console.log(`[${ts()}] results panel: ${JSON.stringify(found)}; expected at least ${JSON.stringify(expected)}`);
  const shot = path.join(OUTPUT, 'results-panel.png');
  await page.screenshot({ path: shot });
  console.log(`[${ts()}] saved ${shot}`);
  const problems = [];
  if (found.tables < expected.tables) problems.push(`expected at least ${expected.tables} tables, found ${found.tables}`);
  if (found.charts < expected.charts) problems.push(`expected at least ${expected.charts} charts with an SVG, found ${found.charts}`);
  if (found.images < expected.images) problems.push(`expected ${expected.images} stimulus and trigger images to load, ${found.images} did`);
  for (const h of expected.headings) if (!found.headings.includes(h)) problems.push(`missing section "${h}"`);
  if (!found.headings.some((h) => h?.startsWith(`Run ${audit.runId}`))) problems.push(`the overview does not name run ${audit.runId}`);
  if (problems.length > 0) throw new Error(problems.join('; '));

  if (readme) {
    const dir = path.join(ROOT, 'media/screenshots');
    fs.mkdirSync(dir, { recursive: true });
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.png')) fs.rmSync(path.join(dir, f));
    const p = results.probes;
    const tabs = { Overview: 'results-overview', ...(p.strongStimuli ? { 'Strong stimuli': 'results-strong-stimuli' } : {}), ...(p.interventions ? { Interventions: 'results-interventions' } : {}), ...(p.groupDisparity ? { Groups: 'results-groups' } : {}), ...(p.associations ? { Associations: 'results-associations' } : {}) };
    const written = [];
    const save = async (file) => {
      await page.screenshot({ path: path.join(dir, `${file}.png`) });
      written.push(`${file}.png`);
    };
    for (const [tab, file] of Object.entries(tabs)) {
      await frame.locator('vscode-tab-header', { hasText: tab }).first().click();
      await frame.locator('vscode-tab-panel:not([hidden]) section.probe').first().waitFor({ state: 'visible', timeout: 10000 });
      await save(file);
      if (tab === 'Strong stimuli') {
        await frame.locator('.gallery').scrollIntoViewIfNeeded();
        await save('results-gallery');
      }
    }
    await runCommand(page, 'Bias Audit: Compare Runs');
    await pickQuickItem(page, audit.runId);
    await pickQuickItem(page, audit.runId);
    await webviewFrame(page, '.compare figure.chart svg');
    await save('compare');
    await runCommand(page, 'Bias Audit: Focus on Bias Audit View');
    await webviewFrame(page, '.live');
    await save('live-view');
    console.log(`[${ts()}] README screenshots of real run ${audit.runId} in ${dir}: ${written.join(', ')}`);
  }
  code = 0;
} catch (e) {
  console.error(`[${ts()}] screenshot test failed:`, e);
  if (browser) await browser.context.pages()[0]?.screenshot({ path: path.join(OUTPUT, 'results-panel-failure.png') }).catch(() => {});
} finally {
  if (browser) await browser.close();
  if (server) await server.stop();
  if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
}
process.exit(code);
