// Bundles every place the code runs (see ARCHITECTURE.md):
//   dist/extension.js  VS Code extension host (cjs, `vscode` external)
//   dist/backend.js    the separate backend process (node)
//   dist/cli.js        the `bias-audit` command line (node, with a shebang)
//   dist/webview.js    the panels' browser code
// Native and optional modules stay external: sharp (libvips), @tensorflow/tfjs-node[-gpu] (resolved at run time
// when the user installed one) and the project's native addon. The wasm backend's binaries are copied beside
// the bundles, where the bundled tfjs-backend-wasm looks for them.
// Usage: node esbuild.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const nodeExternal = ['vscode', 'sharp', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu', '*.node'];

/** @type {esbuild.BuildOptions[]} */
const targets = [
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternal },
  { entryPoints: ['src/backend/main.ts'], outfile: 'dist/backend.js', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternal },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20', external: nodeExternal, banner: { js: '#!/usr/bin/env node' } },
  { entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'esm', target: 'es2022' },
];

function copyWasm() {
  const from = 'node_modules/@tensorflow/tfjs-backend-wasm/wasm-out';
  mkdirSync('dist', { recursive: true });
  for (const f of readdirSync(from)) {
    if (f.endsWith('.wasm') || f.endsWith('.worker.js')) copyFileSync(join(from, f), join('dist', f));
  }
}

const missing = targets.flatMap((t) => t.entryPoints).filter((e) => !existsSync(e));
if (missing.length > 0) {
  console.error(`esbuild.mjs: missing entry point(s): ${missing.join(', ')}`);
  process.exit(1);
}
copyWasm();
// ignoreAnnotations: the tfjs backend packages declare `"sideEffects": false`, yet `import '@tensorflow/tfjs-backend-cpu'`
// exists only for its side effect (registering the backend); honouring the annotation would drop it.
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'info', legalComments: 'linked', ignoreAnnotations: true };
if (watch) {
  const ctxs = await Promise.all(targets.map((t) => esbuild.context({ ...common, ...t })));
  await Promise.all(ctxs.map((c) => c.watch()));
} else {
  await Promise.all(targets.map((t) => esbuild.build({ ...common, ...t })));
  chmodSync('dist/cli.js', 0o755);
}
