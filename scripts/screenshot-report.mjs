#!/usr/bin/env node
// Screenshots a run's report.html with Debian's headless chromium (playwright-core), for the README.
// Usage: node scripts/screenshot-report.mjs RUN_DIR/report.html [OUT.png] [--full] [--height=PX]
//   default OUT: media/screenshots/report.png; --full captures the whole page instead of the first --height px (default 1600).
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const full = process.argv.includes('--full');
const height = Number(process.argv.find((a) => a.startsWith('--height='))?.slice('--height='.length) ?? 1600);
if (args.length < 1) {
  console.error('usage: node scripts/screenshot-report.mjs REPORT.html [OUT.png] [--full]');
  process.exit(2);
}
const report = resolve(args[0]);
const out = resolve(args[1] ?? 'media/screenshots/report.png');
mkdirSync(dirname(out), { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height }, deviceScaleFactor: 1 });
  // The report is self-contained: any request other than the file itself is a bug.
  const external = [];
  page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) external.push(r.url()); });
  await page.goto(pathToFileURL(report).href, { waitUntil: 'load' });
  await page.screenshot({ path: out, fullPage: full });
  if (external.length > 0) {
    console.error(`report.html requested external resources: ${external.join(', ')}`);
    process.exitCode = 1;
  }
  console.error(`wrote ${out}`);
} finally {
  await browser.close();
}
