/** Logger adapters: pino (JSON lines to a file or stderr), silent, and in-memory for tests. */
import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Logger as PinoLogger, pino } from 'pino';
import type { LogFields, LogFn, Logger, LogLevel } from '../contracts/logger.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../eventstore/private-files.js';

export type { LogFields, LogFn, Logger, LogLevel } from '../contracts/logger.js';

export interface CreateLoggerOptions {
  /** Written into every entry as `name` (e.g. `engine`, `worker`). */
  name: string;
  /** Minimum level written; default `info`. */
  level?: LogLevel;
  /** A file to append JSON lines to (directories are created); default: stderr. */
  file?: string;
}

/** Keys never written as they are: tokens and secrets anywhere one level deep. */
const REDACT = ['token', 'password', 'secret', '*.token', '*.password', '*.secret'];

const fromPino = (p: PinoLogger<never>): Logger => ({
  debug: p.debug.bind(p) as LogFn,
  info: p.info.bind(p) as LogFn,
  warn: p.warn.bind(p) as LogFn,
  error: p.error.bind(p) as LogFn,
  child: (bindings) => fromPino(p.child(bindings)),
  flush: () => new Promise<void>((resolve) => p.flush(() => resolve())),
});

/**
 * A pino logger writing JSON lines to `file` (for `.lily/logs/`) or to stderr. The file is
 * opened (and its directory created) at once; failure throws the fs error (EACCES, ...).
 *
 * @example
 * const log = createLogger({ name: 'engine', file: '.lily/logs/engine.log' });
 * log.info({ event: 'engine.started', pid: process.pid }, 'engine started');
 */
export const createLogger = (opts: CreateLoggerOptions): Logger => {
  let fd = 2;
  if (opts.file !== undefined) {
    // Opened here, synchronously, so a bad path fails now and no entry waits for an async open.
    // Logs name runs, steps and their errors: private, like the rest of .lily/.
    mkdirSync(dirname(opts.file), { recursive: true, mode: PRIVATE_DIR_MODE });
    fd = openSync(opts.file, 'a', PRIVATE_FILE_MODE);
  }
  // Synchronous writes: a log line is on disk before the next statement runs, so a crash
  // never loses the entries that explain it (a few µs per line; logs are not per message).
  // A full disk or an I/O error must not take the process down with its log: SonicBoom emits
  // write errors as 'error' (fatal without a listener). Lines are kept (up to 4 MiB) and
  // written once the file takes them again; beyond that they are dropped.
  const dest = pino.destination({ dest: fd, sync: true, maxLength: 4 * 1024 * 1024 });
  let failing = false;
  dest.on('error', (e: NodeJS.ErrnoException) => {
    if (failing) return;
    failing = true;
    try {
      process.stderr.write(
        `lily: cannot write the log (${e.code ?? e.message}); entries are held or dropped\n`,
      );
    } catch {
      // stderr is gone too: nothing more to say.
    }
  });
  dest.on('write', () => {
    failing = false;
  });
  const p = pino(
    { name: opts.name, level: opts.level ?? 'info', redact: REDACT, base: { pid: process.pid } },
    dest,
  );
  return fromPino(p);
};

/** A logger that writes nothing. */
export const silentLogger = (): Logger => {
  const noop = (() => {}) as LogFn;
  const self: Logger = {
    debug: noop,
    info: noop,
    warn: noop,
    error: noop,
    child: () => self,
    flush: () => Promise.resolve(),
  };
  return self;
};

export interface LogEntry extends LogFields {
  level: LogLevel;
  msg?: string;
}

/** A logger that keeps its entries in memory, for tests that assert what was logged. */
export interface MemoryLogger extends Logger {
  readonly entries: LogEntry[];
}

export const memoryLogger = (bindings: LogFields = {}, entries: LogEntry[] = []): MemoryLogger => {
  const at =
    (level: LogLevel): LogFn =>
    (a: LogFields | string, msg?: string) => {
      if (typeof a === 'string') entries.push({ ...bindings, level, msg: a });
      else entries.push({ ...bindings, ...a, level, ...(msg === undefined ? {} : { msg }) });
    };
  return {
    entries,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => memoryLogger({ ...bindings, ...more }, entries),
    flush: () => Promise.resolve(),
  };
};
