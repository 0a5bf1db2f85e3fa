// Where the wasm backend's .wasm binaries are, both for tsc output (out/, run from the source tree) and for
// the esbuild bundles in dist/ (esbuild.mjs copies the binaries beside them).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PROBE_BINARY = 'tfjs-backend-wasm-simd.wasm';

/** The folder holding the wasm binaries, with a trailing separator (as setWasmPaths wants a prefix). */
export function wasmBinaryFolder(): string {
  // Bundled: this code is inlined into dist/<entry>.js and the binaries sit beside it.
  if (existsSync(join(__dirname, PROBE_BINARY))) return `${__dirname}/`;
  let packageDist: string;
  try {
    packageDist = dirname(require.resolve(`@tensorflow/tfjs-backend-wasm/dist/${PROBE_BINARY}`));
  } catch (cause) {
    throw new Error(`cannot find ${PROBE_BINARY} beside ${__dirname} nor in @tensorflow/tfjs-backend-wasm`, { cause });
  }
  return `${packageDist}/`;
}
