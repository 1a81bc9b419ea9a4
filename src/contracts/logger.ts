/**
 * The Logger port: a pino-compatible subset, so actors log structured JSON without knowing
 * where it goes. High-visibility events are warn/error entries with an `event` field, e.g.
 * `logger.warn({ event: 'message.rejected', subject, reason }, 'bus message rejected')`.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface LogFn {
  (fields: LogFields, msg?: string): void;
  (msg: string): void;
}

/**
 * The structured logger an executor gets as `ctx.log` (pino-compatible: fields first, then the
 * message). Logging never throws.
 *
 * @example
 * ctx.log.info({ files: n }, 'packed');
 */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger whose entries all carry `bindings` as well. */
  child(bindings: LogFields): Logger;
  /** Resolves once buffered entries reached their destination (never rejects). */
  flush(): Promise<void>;
}
