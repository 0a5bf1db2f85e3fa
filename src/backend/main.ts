/**
 * Entry point of the backend process (dist/backend.js), started by the extension with stdio pipes:
 * JSON-RPC on stdin/stdout, logs on stderr. Exits when the editor is gone (parent pid or stdin closed).
 * Env: BIAS_AUDIT_FAKE_AUDIT=1 (+ BIAS_AUDIT_FAKE_FIXTURE, BIAS_AUDIT_FAKE_BATCH_MS) selects the unit-test
 * double instead of the real audit.
 */
import './consoleToStderr';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { errorMessage } from '../engine/util/errors';
import { Exiting } from '../protocol/backendProtocol';
import { version } from '../../package.json';
import type { AuditService } from './auditService';
import { createFakeAuditService } from './fakeAuditService';
import { watchParentProcess } from './parentWatch';
import { createRealAuditService } from './realAuditService';
import { startBackendServer } from './server';

function chooseService(): AuditService {
  if (process.env.BIAS_AUDIT_FAKE_AUDIT !== '1') return createRealAuditService();
  const fixture = process.env.BIAS_AUDIT_FAKE_FIXTURE;
  if (!fixture) {
    process.stderr.write('BIAS_AUDIT_FAKE_AUDIT=1 needs BIAS_AUDIT_FAKE_FIXTURE (a fixture run folder)\n');
    process.exit(2);
  }
  return createFakeAuditService(fixture, Number(process.env.BIAS_AUDIT_FAKE_BATCH_MS ?? 40));
}

const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
let exiting = false;

/** Tells the client why, then exits (the vscode-eslint pattern: the client decides on a restart). */
function exitWith(code: number, reason: string): void {
  if (exiting) return;
  exiting = true;
  process.stderr.write(`backend exiting (${code}): ${reason}\n`);
  const hardStop = setTimeout(() => process.exit(code), 1000);
  let told: Promise<void>;
  try {
    told = connection.sendNotification(Exiting.type, { code, reason });
  } catch {
    told = Promise.resolve(); // the connection is already closed: nobody to tell
  }
  told
    .catch(() => undefined)
    .finally(() => {
      clearTimeout(hardStop);
      process.exit(code);
    });
}

process.on('uncaughtException', (e) => exitWith(1, `uncaught exception: ${e.stack ?? errorMessage(e)}`));
process.on('unhandledRejection', (e) => exitWith(1, `unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
connection.onClose(() => exitWith(0, 'the connection closed (editor gone)'));

startBackendServer(connection, chooseService(), {
  serverVersion: version,
  onInitialize: (params) => watchParentProcess(params.parentPid, () => exitWith(0, `parent process ${params.parentPid} is gone`)),
  onExit: (code) => exitWith(code, 'exit requested'),
});
connection.listen();
