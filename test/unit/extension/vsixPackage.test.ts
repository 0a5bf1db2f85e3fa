/**
 * `vsce package` builds a .vsix with the bundles, the wasm binaries and media, and nothing of the sources or tests.
 * Needs the bundles in dist/ (`npm run build`; `npm test` builds before the unit tests). The package's page is
 * docs/marketplace-readme.md (as `npm run package:vsix` builds it): the repository README's relative links and
 * images would need a published repository URL.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../../..');

describe('vsce package', function () {
  let entries: string[] = [];
  let dir = '';

  before(function () {
    this.timeout(180000);
    for (const bundle of ['extension.js', 'backend.js', 'cli.js', 'webview.js']) {
      assert.ok(existsSync(join(ROOT, 'dist', bundle)), `dist/${bundle} is missing: run npm run build before this test`);
    }
    dir = mkdtempSync(join(tmpdir(), 'vsix-'));
    const vsix = join(dir, 'test.vsix');
    execFileSync(process.execPath, [join(ROOT, 'node_modules/@vscode/vsce/vsce'), 'package', '--allow-missing-repository', '--skip-license', '--readme-path', 'docs/marketplace-readme.md', '--out', vsix], { cwd: ROOT, stdio: 'pipe' });
    entries = execFileSync('unzip', ['-Z1', vsix], { encoding: 'utf8' }).split('\n').filter(Boolean);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('contains the four bundles, the wasm binaries, media and the native image module', () => {
    for (const file of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/backend.js', 'extension/dist/cli.js', 'extension/dist/webview.js', 'extension/media/webview.css', 'extension/media/vendor/codicons/codicon.ttf', 'extension/node_modules/sharp/package.json']) {
      assert.ok(entries.includes(file), `${file} missing from the .vsix`);
    }
    assert.ok(entries.some((e) => /^extension\/dist\/[^/]+\.wasm$/.test(e)), 'no wasm binary in dist/');
    assert.ok(entries.includes('extension/readme.md'), 'the marketplace README is missing');
  });

  it('contains the native backend addon, which the bundles find above dist/', () => {
    assert.ok(existsSync(join(ROOT, 'native/build/Release/bias_audit_native.node')), 'the native addon is not built here: npm run build:native (needs libdnnl-dev)');
    assert.ok(entries.includes('extension/native/build/Release/bias_audit_native.node'), 'the native addon is missing from the .vsix');
    assert.ok(!entries.some((e) => e.startsWith('extension/native/') && !e.endsWith('.node')), 'only the addon itself, not its sources or objects');
  });

  it('contains no sources, tests, source maps or build outputs', () => {
    const leaked = entries.filter((e) => /^extension\/(src|test|webview|out|scripts|samples|\.harness|test-output)\//.test(e) || (/\.ts$/.test(e) && !e.startsWith('extension/node_modules/')) || /\.map$/.test(e) || e.startsWith('extension/node_modules/@tensorflow/'));
    assert.deepEqual(leaked, []);
  });
});
