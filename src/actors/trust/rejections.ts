import type { LogFields, LogFn, Logger } from '../logger.js';

/** The log events that are refusals of a message: what `lily status` counts. */
export const REFUSAL_EVENTS: ReadonlySet<string> = new Set(['message.rejected', 'dispatch.refused']);

/** Refusals so far, by reason, as a process reports them in its `sys.ping` details. */
export interface RejectionCounts {
  total: number;
  /** `<reason>` -> count; the reason of a refusal without one is `unspecified`. */
  reasons: Record<string, number>;
}

/**
 * Counts the messages a process refused, by reason. Fed by `countingLogger`, so every
 * warn-level `message.rejected` / `dispatch.refused` entry any of the process's actors writes
 * (bus schema checks, the run inbox, the worker's seal checks) is counted, and nothing else.
 */
export class RejectionCounter {
  readonly #reasons = new Map<string, number>();
  #total = 0;

  record(reason: string): void {
    this.#total += 1;
    this.#reasons.set(reason, (this.#reasons.get(reason) ?? 0) + 1);
  }

  counts(): RejectionCounts {
    return { total: this.#total, reasons: Object.fromEntries([...this.#reasons].sort()) };
  }
}

const reasonOf = (fields: LogFields): string => {
  const reason = fields.reason ?? fields.rule;
  return typeof reason === 'string' && reason !== '' ? reason.slice(0, 80) : 'unspecified';
};

/**
 * `log`, with every warn entry whose `event` is a refusal counted in `counter` (children
 * too). Nothing else changes: entries are written as they were.
 */
export const countingLogger = (log: Logger, counter: RejectionCounter): Logger => {
  const warn = ((a: LogFields | string, msg?: string) => {
    if (typeof a === 'object' && a !== null && REFUSAL_EVENTS.has(String(a.event)))
      counter.record(reasonOf(a));
    if (typeof a === 'string') log.warn(a);
    else log.warn(a, msg);
  }) as LogFn;
  return {
    debug: log.debug,
    info: log.info,
    warn,
    error: log.error,
    child: (bindings) => countingLogger(log.child(bindings), counter),
    flush: () => log.flush(),
  };
};
