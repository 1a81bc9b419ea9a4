import type { Bus } from '../../actors/bus/bus.js';
import { allEventsPattern } from '../../actors/subjects.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';

/** The connection under a watch: `live` while NATS is connected, `down` while it is not. */
export type WatchStatus = 'live' | 'down';

/** A live subscription to every event the namespace publishes; `close()` ends it. */
export interface EventWatch {
  /** The subject pattern it listens to (`lily.<ns>.evt.>`). */
  readonly pattern: string;
  /** `live` or `down`, as last reported by the bus. */
  readonly status: WatchStatus;
  close(): Promise<void>;
}

export interface WatchHandlers {
  /** Every stored event as the engine published it (at most once: the bus may drop some). */
  onEvent(e: StoredEvent): void;
  /**
   * Connection changes. After `live` following `down`, events published meanwhile may be lost:
   * re-read the log (it is the truth) instead of trusting what was received.
   */
  onStatus?(status: WatchStatus): void;
}

const isStoredEvent = (v: unknown): v is StoredEvent => {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Partial<StoredEvent>;
  return (
    typeof e.stream === 'string' &&
    typeof e.type === 'string' &&
    typeof e.seq === 'number' &&
    typeof e.pos === 'number' &&
    typeof e.at === 'number'
  );
};

/**
 * Subscribes to every event of the namespace. Messages that are not stored events are
 * ignored. The subscription reaches the server before this resolves.
 */
export const watchNamespaceEvents = async (bus: Bus, ns: string, h: WatchHandlers): Promise<EventWatch> => {
  const pattern = allEventsPattern(ns);
  let status: WatchStatus = 'live';
  const sub = bus.subscribe(pattern, (msg) => {
    let e: unknown;
    try {
      e = msg.json();
    } catch {
      return;
    }
    if (isStoredEvent(e)) h.onEvent(e);
  });
  const off = bus.onStatus((s) => {
    const next: WatchStatus | undefined =
      s.type === 'reconnected'
        ? 'live'
        : s.type === 'disconnected' || s.type === 'closed'
          ? 'down'
          : undefined;
    if (next === undefined || next === status) return;
    status = next;
    h.onStatus?.(next);
  });
  await bus.flush();
  return {
    pattern,
    get status() {
      return status;
    },
    close: async () => {
      off();
      sub.unsubscribe();
    },
  };
};
