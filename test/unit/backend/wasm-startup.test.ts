// Starting the wasm backend in a fresh Node process each time (a started wasm module cannot be restarted):
// the threaded SIMD build with the requested threads, the single-threaded fallback when threads fail, stdout
// kept clean, emscripten's process handlers removed, the process free to exit, and the esbuild bundle
// finding its wasm binaries beside itself.
import { build } from 'esbuild';
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const outSrc = resolve(__dirname, '../../../src/engine/backend');
const tfCore = require.resolve('@tensorflow/tfjs-core');

/** Runs a script in a new Node process (no NODE_PATH), which must exit by itself within the timeout. */
function runScript(source: string, cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const folder = mkdtempSync(join(tmpdir(), 'wasm-startup-'));
  try {
    const script = join(folder, 'script.js');
    writeFileSync(script, source);
    return runNode(script, cwd ?? folder);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function runNode(script: string, cwd: string): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env.NODE_PATH;
  const result = spawnSync(process.execPath, [script], { cwd, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.signal, null, `the process did not exit by itself (killed by ${result.signal}); stderr:\n${result.stderr}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function parseSingleLine(stdout: string): Record<string, unknown> {
  const lines = stdout.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `stdout must hold exactly one JSON line, got:\n${stdout}`);
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

describe('wasm backend start-up (fresh processes)', function () {
  this.timeout(300_000);

  for (const threads of [2, 1]) {
    it(`threads: ${threads} starts the ${threads > 1 ? 'threaded ' : ''}SIMD build with ${threads} thread(s); console output goes to stderr`, () => {
      const { status, stdout, stderr } = runScript(`
        const tf = require(${JSON.stringify(tfCore)});
        const { initBackend } = require(${JSON.stringify(join(outSrc, 'select.js'))});
        (async () => {
          const info = await initBackend({ backend: 'wasm', threads: ${threads} });
          console.log('console.log after init');
          console.info('console.info after init');
          const conv = Array.from(tf.conv2d(tf.ones([1, 4, 4, 2]), tf.ones([3, 3, 2, 1]), 1, 'valid').dataSync());
          const handlers = process.listeners('uncaughtException').length + process.listeners('unhandledRejection').length;
          process.stdout.write(JSON.stringify({ info, conv, handlers }) + '\\n');
        })();
      `);
      assert.equal(status, 0, stderr);
      const report = parseSingleLine(stdout) as { info: { name: string; threads: number; simd: boolean; detail: string }; conv: number[]; handlers: number };
      assert.equal(report.info.name, 'wasm');
      assert.equal(report.info.threads, threads);
      assert.equal(report.info.simd, true);
      assert.match(report.info.detail, threads > 1 ? /threaded SIMD build, 2 threads/ : /, SIMD build, 1 thread/);
      assert.deepEqual(report.conv, [18, 18, 18, 18]);
      assert.equal(report.handlers, 0, "emscripten's process handlers must be removed");
      assert.match(stderr, /^backend: wasm/m);
      assert.match(stderr, /console\.log after init/);
      assert.match(stderr, /console\.info after init/);
    });
  }

  it('falls back to one thread, saying why, when the threads fail to start', () => {
    const { status, stdout, stderr } = runScript(`
      const tf = require(${JSON.stringify(tfCore)});
      const { loadWasmBackend } = require(${JSON.stringify(join(outSrc, 'wasm-backend.js'))});
      (async () => {
        const outcome = await loadWasmBackend(2, { workerPreamble: 'throw new Error("injected worker failure");' });
        const conv = Array.from(tf.conv2d(tf.ones([1, 4, 4, 2]), tf.ones([3, 3, 2, 1]), 1, 'valid').dataSync());
        process.stdout.write(JSON.stringify({ outcome, conv }) + '\\n');
      })();
    `);
    assert.equal(status, 0, stderr);
    const report = parseSingleLine(stdout) as { outcome: { ok: boolean; threads: number; detail: string }; conv: number[] };
    assert.equal(report.outcome.ok, true);
    assert.equal(report.outcome.threads, 1);
    assert.match(report.outcome.detail, /SIMD build, 1 thread \(threads failed, running single-threaded: injected worker failure\)/);
    assert.deepEqual(report.conv, [18, 18, 18, 18]);
  });

  it('an esbuild bundle finds the wasm binaries beside itself, with no node_modules in reach', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'wasm-bundle-'));
    try {
      const outfile = join(folder, 'bundle.js');
      // The same options esbuild.mjs gives the node bundles.
      await build({
        entryPoints: [join(__dirname, 'bundle-entry.js')],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        external: ['vscode', 'sharp', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu', '*.node'],
        logLevel: 'error',
      });
      const wasmOut = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
      for (const file of readdirSync(wasmOut)) {
        if (file.endsWith('.wasm') || file.endsWith('.worker.js')) copyFileSync(join(wasmOut, file), join(folder, file));
      }
      const { status, stdout, stderr } = runNode(outfile, folder);
      assert.equal(status, 0, stderr);
      const report = parseSingleLine(stdout) as { info: { name: string; threads: number }; packageReachable: boolean; gradient: number[]; backend: string };
      assert.equal(report.packageReachable, false, 'the bundle must not be able to fall back on node_modules');
      assert.deepEqual([report.info.name, report.backend, report.info.threads], ['wasm', 'wasm', 2]);
      assert.deepEqual(report.gradient, new Array(3 * 3 * 2 * 4).fill(9));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
