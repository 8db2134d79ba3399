/**
 * The app's log for support: a rotating file (electron-log's file transport, 1 MB, then the old one
 * kept as `main.old.log`) in the OS's usual place for app logs (Electron's `app.getPath('logs')`,
 * given by the shell). Start-up, links, refreshes and renewals, health changes and errors with their
 * codes. Every entry goes through `redact` first: the one choke point for secrets.
 */
import log from 'electron-log/node';
import { join } from 'node:path';
import { redact } from './redact.js';

export type LogFields = object;

export interface AppLog {
  readonly path: string;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** 1 MB per file; electron-log renames a full one to `main.old.log` and starts again. */
export const LOG_MAX_BYTES = 1024 * 1024;

/** Opens the log file `main.log` in `dir`. One logger per process (electron-log's default instance). */
export function openAppLog(dir: string, options: { console?: boolean } = {}): AppLog {
  const path = join(dir, 'main.log');
  log.transports.file.setAppName('authtray');
  log.transports.file.resolvePathFn = () => path;
  log.transports.file.maxSize = LOG_MAX_BYTES;
  log.transports.file.inspectOptions = { depth: 6, breakLength: Infinity };
  log.transports.file.format = '[{y}-{m}-{d} {h}:{i}:{s}.{ms}] [{level}] {text}';
  log.transports.console.level = options.console ? 'info' : false;
  log.errorHandler.stopCatching();
  // The choke point: whatever an entry holds is redacted before any transport sees it.
  if (!log.hooks.includes(redactHook)) log.hooks.push(redactHook);
  const write = (level: 'info' | 'warn' | 'error') => (event: string, fields?: LogFields) => {
    if (fields) log[level](event, fields);
    else log[level](event);
  };
  return { path, info: write('info'), warn: write('warn'), error: write('error') };
}

function redactHook<T extends { data: unknown[] }>(message: T): T {
  return { ...message, data: message.data.map((d) => redact(d)) };
}

/** A log that writes nowhere (tests of other things, a start without a log directory). */
export const silentLog: AppLog = { path: '', info() {}, warn() {}, error() {} };
