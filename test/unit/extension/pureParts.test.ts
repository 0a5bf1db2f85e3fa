/** The extension's logic that does not need VS Code: restart budget, guided config, progress text, webview HTML/CSP. */
import * as assert from 'node:assert/strict';
import { buildAuditConfig, parseIntegerList } from '../../../src/extension/auditConfigTemplate';
import { buildWebviewHtml, contentSecurityPolicy, makeNonce } from '../../../src/extension/panels/webviewHtml';
import { formatProgress, formatSeconds, stepFraction } from '../../../src/extension/progressText';
import { RestartBudget } from '../../../src/extension/restartBudget';
import type { ProgressUpdate } from '../../../src/protocol/backendProtocol';

describe('extension/RestartBudget', () => {
  it('allows maxRestarts crashes inside the window, then refuses, and forgets old crashes', () => {
    const budget = new RestartBudget(2, 1000);
    assert.equal(budget.allowRestart(0), true);
    assert.equal(budget.allowRestart(10), true);
    assert.equal(budget.allowRestart(20), false);
    assert.equal(budget.allowRestart(1015), true, 'the crashes at 0 and 10 left the window');
    budget.reset();
    assert.equal(budget.allowRestart(1016), true);
  });
});

describe('extension/auditConfigTemplate', () => {
  it('parses integer lists, deduplicated and sorted, and names a bad entry', () => {
    assert.deepEqual(parseIntegerList('4, 0 2,2', 'depths'), [0, 2, 4]);
    assert.throws(() => parseIntegerList('1, x', 'seeds'), /seeds: "x" is not a non-negative integer/);
    assert.throws(() => parseIntegerList(' ', 'seeds'), /at least one/);
  });

  it('builds a config relative to the checkpoint with the chosen children and probes', () => {
    const config = buildAuditConfig('model.json', { targetTrain: '/data/train', targetTest: null, freezeDepths: [0, 3], seeds: [1, 2], probes: ['strongStimuli', 'interventions'] });
    // (guidedConfig.test.ts checks this config against the real audit config loader)
    assert.deepEqual(config, {
      foundation: './model.json',
      target: { train: '/data/train' },
      children: { freezeDepths: [0, 3], scratch: true, seeds: [1, 2] },
      probes: { strongStimuli: {}, interventions: { triggers: ['square:size=0.25,color=#ffff00,position=top-left'] } },
    });
    assert.throws(() => buildAuditConfig('model.json', { targetTrain: 'x', targetTest: null, freezeDepths: [], seeds: [0], probes: ['strongStimuli'] }), /freeze depth/);
  });
});

describe('extension/progressText', () => {
  const update: ProgressUpdate = { jobId: 'j', runDir: null, stepIndex: 2, stepsTotal: 6, stepLabel: 'train child K=2 seed 0', phase: 'training', epoch: 2, epochs: 4, batch: 5, batches: 10, loss: 0.51234, accuracy: 0.8123, imagesPerSecond: 812.4, etaSeconds: 125 };

  it('formats one line with step, epoch, batch, loss, accuracy, speed and ETA', () => {
    assert.equal(formatProgress(update), 'step 3/6: train child K=2 seed 0 · epoch 2/4 · batch 5/10 · loss 0.512 · acc 81.2% · 812 img/s · 2 min 5 s left');
    assert.equal(formatSeconds(7200), '2 h 0 min');
  });

  it('computes how far the step is from epochs and batches', () => {
    assert.equal(stepFraction(update), 15 / 40);
    assert.equal(stepFraction({ ...update, batch: null }), 0);
  });
});

describe('extension/webviewHtml', () => {
  const html = buildWebviewHtml({ panel: 'results', title: 'Run <x>', cspSource: 'https://webview.test', nonce: 'abc123', scriptUri: 'https://webview.test/dist/webview.js', styleUris: ['https://webview.test/media/webview.css'], codiconsUri: 'https://webview.test/media/codicon.css' });

  it('sets a strict CSP: nonce-only scripts, resources only from the webview source, nothing else', () => {
    const csp = contentSecurityPolicy('https://webview.test', 'abc123');
    assert.equal(csp, "default-src 'none'; img-src https://webview.test data:; font-src https://webview.test; style-src https://webview.test 'unsafe-inline'; script-src 'nonce-abc123'");
    assert.ok(html.includes(`content="${csp.replace(/'/g, '&#39;')}"`));
    assert.doesNotMatch(csp, /unsafe-eval|script-src[^;]*unsafe-inline|\*/);
  });

  it('loads the bundle with the nonce, marks the panel kind and escapes the title', () => {
    assert.match(html, /<script type="module" nonce="abc123" src="https:\/\/webview\.test\/dist\/webview\.js"><\/script>/);
    assert.match(html, /<body data-panel="results">/);
    assert.match(html, /<title>Run &lt;x&gt;<\/title>/);
    assert.equal((html.match(/<script/g) ?? []).length, 1, 'exactly one script, the nonce-bearing bundle');
  });

  it('makes a fresh alphanumeric nonce each time', () => {
    const a = makeNonce();
    assert.match(a, /^[A-Za-z0-9]{24}$/);
    assert.notEqual(a, makeNonce());
  });
});
