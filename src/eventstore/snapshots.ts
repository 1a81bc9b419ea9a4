import type { StoredEvent } from '../contracts/events/envelope.js';
import type { EventStore, Snapshot } from './event-store.js';

export interface SnapshotAndTail<S> {
  /** The latest snapshot, if any. */
  snapshot: Snapshot<S> | undefined;
  /** The stream's events after the snapshot's seq (all of them without a snapshot). */
  events: StoredEvent[];
}

/**
 * Loads the latest snapshot of a stream and the events after it, so that a long stream is not
 * replayed from the start.
 */
export const loadSnapshotAndTail = async <S>(
  store: EventStore,
  stream: string,
): Promise<SnapshotAndTail<S>> => {
  const snapshot = await store.loadLatestSnapshot<S>(stream);
  const events = await store.readStream(stream, { fromSeq: (snapshot?.seq ?? 0) + 1 });
  return { snapshot, events };
};

/**
 * Folds a stream from its latest snapshot (or from `initial`), returning the state and the seq
 * it covers. The reducer must be pure and the state JSON-compatible for the result to equal a
 * fold from the start.
 */
export const foldStream = async <S>(
  store: EventStore,
  stream: string,
  reducer: (state: S, event: StoredEvent) => S,
  initial: S,
): Promise<{ state: S; seq: number }> => {
  const { snapshot, events } = await loadSnapshotAndTail<S>(store, stream);
  let state = snapshot ? snapshot.state : initial;
  let seq = snapshot?.seq ?? 0;
  for (const e of events) {
    state = reducer(state, e);
    seq = e.seq;
  }
  return { state, seq };
};
