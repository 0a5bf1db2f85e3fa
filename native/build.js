#!/usr/bin/env node
// Builds the native compute backend's addon (native/build/Release/bias_audit_native.node) with node-gyp
// when a C++ compiler, oneDNN (libdnnl-dev) and Node's headers are present. Run by `npm install`/`npm ci`
// (package.json "install" script): there it never fails the install, it prints one line saying what it
// did or why not (the `native` backend then reports itself unavailable and `auto` uses wasm).
// `node native/build.js --strict` (npm run build:native) exits 1 when the build fails.
// Plain CommonJS on purpose: it runs before anything is compiled.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, writeFileSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');

const strict = process.argv.includes('--strict');
const nativeDir = __dirname;
const HOW_TO = 'apt-get install libdnnl-dev g++ make python3, then npm run build:native';

function finish(ok, message) {
  process.stderr.write(`native backend: ${message}\n`);
  process.exit(ok || !strict ? 0 : 1);
}

function commandWorks(command, args) {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.status === 0;
}

/** npm's own node-gyp (npm sets npm_config_node_gyp for scripts), a local one, or the one bundled with npm. */
function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a dependency: fine
  }
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((candidate) => candidate && existsSync(candidate));
}

/** Node's headers already on disk (node-gyp would otherwise try to download them). */
function findNodeDir() {
  const candidates = [process.env.npm_config_nodedir, resolve(dirname(process.execPath), '..')];
  return candidates.find((dir) => dir && existsSync(join(dir, 'include', 'node', 'node_api.h')));
}

function findOneDnnHeader() {
  const dirs = ['/usr/include', '/usr/local/include', ...(process.env.CPATH || '').split(':').filter(Boolean)];
  return dirs.some((dir) => existsSync(join(dir, 'oneapi', 'dnnl', 'dnnl.hpp')) || existsSync(join(dir, 'dnnl.hpp')));
}

if (process.env.BIAS_AUDIT_SKIP_NATIVE === '1') finish(true, 'build skipped (BIAS_AUDIT_SKIP_NATIVE=1)');
if (process.platform !== 'linux') finish(false, `not built: only Linux builds are set up (this is ${process.platform})`);
if (!commandWorks('c++', ['--version'])) finish(false, `not built: no C++ compiler (${HOW_TO})`);
if (!commandWorks('make', ['--version'])) finish(false, `not built: no make (${HOW_TO})`);
if (!findOneDnnHeader()) finish(false, `not built: oneDNN headers not found (${HOW_TO})`);
const nodeGyp = findNodeGyp();
if (nodeGyp === undefined) finish(false, `not built: node-gyp not found (it ships with npm; ${HOW_TO})`);
const nodeDir = findNodeDir();
if (nodeDir === undefined) finish(false, 'not built: Node.js headers (include/node/node_api.h) not found next to this node');

const jobs = String(Math.max(1, require('node:os').availableParallelism()));
const started = Date.now();
const build = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${nodeDir}`, '-j', jobs], {
  cwd: nativeDir,
  encoding: 'utf8',
  env: { ...process.env, npm_config_nodedir: nodeDir },
  maxBuffer: 64 * 1024 * 1024,
});
const logDir = join(nativeDir, 'build');
mkdirSync(logDir, { recursive: true });
const logFile = join(logDir, 'build.log');
writeFileSync(logFile, `${build.stdout ?? ''}\n${build.stderr ?? ''}\n${build.error ? String(build.error) : ''}`);
const addon = join(nativeDir, 'build', 'Release', 'bias_audit_native.node');
if (build.status !== 0 || !existsSync(addon)) finish(false, `build failed (log: ${logFile}; ${HOW_TO})`);
finish(true, `built ${addon} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
