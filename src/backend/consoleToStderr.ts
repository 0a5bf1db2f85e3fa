/**
 * Imported first by the backend's entry point: stdout carries JSON-RPC, and anything else printed there (TensorFlow.js
 * logs with console.log) would corrupt the stream. Every console method is sent to stderr, which the extension
 * shows in its Output channel.
 */
import { format } from 'node:util';

function toStderr(...args: unknown[]): void {
  process.stderr.write(`${format(...args)}\n`);
}

console.log = toStderr;
console.info = toStderr;
console.debug = toStderr;
console.warn = toStderr;
console.trace = toStderr;
console.dir = (value: unknown) => toStderr(value);
