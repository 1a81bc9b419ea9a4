import type { Bus } from '../../actors/bus/bus.js';

/** Tells a log reader when to read again. */
export interface Wake {
  /**
   * Resolves at the next wake-up after this call: a message on the watched subject, a
   * reconnect of the bus, or `recheckMs` without either. Take it before reading the log, so a
   * wake-up between the read and the wait is never missed.
   */
  next(): Promise<void>;
  /** Stops listening and settles every pending `next()`. Idempotent. */
  close(): void;
}

/**
 * How long a reader waits without a wake-up before it reads the log anyway. The bus is
 * at-most-once: a publish the engine made while disconnected is gone, and only this re-read
 * notices what it announced. It bounds how late such an event is seen, not how soon others are.
 */
export const LOG_RECHECK_MS = 1_000;

/**
 * Wake-ups from `pattern` on `bus` (each message there means the log may have grown), from the
 * bus reconnecting (messages may have been lost meanwhile), and every `recheckMs` as a safety
 * net. Without a bus only the safety net remains. The subscription is flushed to the server
 * before this resolves, so a read made afterwards cannot miss an event announced later.
 */
export const watchLog = async (
  bus: Bus | undefined,
  pattern: string | undefined,
  recheckMs = LOG_RECHECK_MS,
): Promise<Wake> => {
  const waiters = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  const sub = bus && pattern ? bus.subscribe(pattern, notify) : undefined;
  const offStatus = bus?.onStatus((s) => {
    if (s.type === 'reconnected') notify();
  });
  if (sub) await bus?.flush().catch(() => undefined);
  let closed = false;
  return {
    next: () =>
      closed
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(done, recheckMs);
            timers.add(timer);
            function done() {
              clearTimeout(timer);
              timers.delete(timer);
              waiters.delete(done);
              resolve();
            }
            waiters.add(done);
          }),
    close: () => {
      if (closed) return;
      closed = true;
      sub?.unsubscribe();
      offStatus?.();
      notify();
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
};
