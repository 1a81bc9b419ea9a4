import type { Bus } from '../../actors/bus/bus.js';
import { jobEventsPattern } from '../../actors/subjects.js';
import { LilyError } from '../../contracts/errors.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import { isRunId, parseJobId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';

/** A live subscription; `close()` ends it. */
export interface Tail {
  /** The subject pattern it listens to. */
  readonly pattern: string;
  /**
   * Resolves (with `bus_unavailable`) if the project's own NATS stops for good under the tail
   * (`lily down`); never for an explicit NATS, which is reconnected to forever.
   */
  readonly ended: Promise<LilyError>;
  close(): Promise<void>;
}

const isStoredEvent = (v: unknown): v is StoredEvent =>
  typeof v === 'object' && v !== null && typeof (v as StoredEvent).pos === 'number';

/** `since` as a filter: a run id (that run and later ones) or an ISO time. Throws `usage_invalid`. */
export const parseSince = (since: string): { fromRun?: string; fromMs?: number } => {
  if (isRunId(since)) return { fromRun: since };
  const fromMs = Date.parse(since);
  if (Number.isNaN(fromMs)) {
    throw new LilyError('usage_invalid', `--since ${since}: not a run id nor an ISO time`, {
      reason: 'since',
      value: since,
    });
  }
  return { fromMs };
};

/** Logged events of the job from `since` on, in global order. */
const logSince = async (
  store: EventStore,
  jobId: string,
  since: { fromRun?: string; fromMs?: number },
): Promise<StoredEvent[]> => {
  const out: StoredEvent[] = [];
  for (const stream of await store.listStreams('run/')) {
    if (since.fromRun !== undefined && stream.slice(4) < since.fromRun) continue;
    const events = await store.readStream(stream);
    if ((events[0]?.data as { jobId?: string } | undefined)?.jobId !== jobId) continue;
    out.push(...events.filter((e) => since.fromMs === undefined || e.at >= since.fromMs));
  }
  return out.sort((a, b) => a.pos - b.pos);
};

/**
 * A job's events as published on the bus, each handed to `onEvent` once (deduplicated by
 * global position). With `since` the logged events come first: the subscription is made before
 * the log is read and live events are held meanwhile, so nothing falls in between.
 */
export const tailJobEvents = async (
  bus: Bus,
  ns: string,
  jobId: string,
  o: { since?: { fromRun?: string; fromMs?: number }; store?: EventStore },
  onEvent: (e: StoredEvent) => void,
): Promise<Tail> => {
  const pattern = jobEventsPattern(ns, parseJobId(jobId));
  const seen = new Set<number>();
  const deliver = (e: StoredEvent) => {
    if (seen.has(e.pos)) return;
    seen.add(e.pos);
    onEvent(e);
  };
  let held: StoredEvent[] | undefined = o.since === undefined ? undefined : [];
  const sub = bus.subscribe(pattern, (msg) => {
    const e = msg.json();
    if (!isStoredEvent(e)) return;
    if (held) held.push(e);
    else deliver(e);
  });
  await bus.flush();
  if (o.since !== undefined && o.store) {
    for (const e of await logSince(o.store, jobId, o.since)) deliver(e);
    const live = held ?? [];
    held = undefined;
    for (const e of live) deliver(e);
  }
  return {
    pattern,
    ended: new Promise<LilyError>(() => undefined),
    close: async () => {
      sub.unsubscribe();
    },
  };
};
