// Types for the worker script that @tensorflow/tfjs-backend-wasm ships as a string (it has no .d.ts).
declare module '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js' {
  /** The emscripten pthread worker of the threaded SIMD build, as JavaScript source. */
  export const wasmWorkerContents: string;
}
