import type { StoredEvent } from '../../contracts/events/envelope.js';
import type { EventStore } from '../../eventstore/event-store.js';
import type { Wake } from './wake.js';

export interface FollowOptions {
  /** First seq to deliver (default 1: the whole stream). */
  fromSeq?: number;
  /** Wake-ups telling the reader to read again; closed when the follow ends. */
  wake: Wake;
  /** The last event to deliver (e.g. `run.completed`); without it the follow never ends on its own. */
  until?: (event: StoredEvent) => boolean;
  /** Ends the follow early (quietly: the loop just ends) when aborted. */
  signal?: AbortSignal;
}

/**
 * Every event of `stream` from `fromSeq` on, in seq order, each exactly once, read from the log
 * (the truth) whenever `wake` says it may have grown; ends after the event `until` accepts.
 * Breaking out of the loop, `return()` or aborting `signal` stops it and closes the wake. A failing read
 * (`eventstore_unavailable`) ends the iteration with that error.
 *
 * @example
 * for await (const e of followStream(store, `run/${runId}`, { wake, until: isCompletion })) print(e);
 */
export async function* followStream(
  store: EventStore,
  stream: string,
  o: FollowOptions,
): AsyncGenerator<StoredEvent, void, undefined> {
  let next = o.fromSeq ?? 1;
  const stop = () => o.wake.close();
  o.signal?.addEventListener('abort', stop, { once: true });
  try {
    while (!o.signal?.aborted) {
      const woken = o.wake.next();
      const batch = await store.readStream(stream, { fromSeq: next });
      for (const e of batch) {
        next = e.seq + 1;
        yield e;
        if (o.until?.(e)) return;
      }
      if (batch.length === 0) {
        await woken;
        // lmdb-js keeps this process's read snapshot until a setTimeout(0) of its own, armed at
        // the read above, drops it. A wake-up that comes within that millisecond (two appends
        // in a row) would read the old snapshot, find nothing and sleep until the next recheck:
        // a timer armed now fires after lmdb-js's, so the next read is of a fresh snapshot.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
  } finally {
    o.signal?.removeEventListener('abort', stop);
    o.wake.close();
  }
}
