import { hasErrorCode, LilyError } from '../contracts/errors.js';
import type { NewEvent, StoredEvent } from '../contracts/events/envelope.js';

/** Expected version: the stream must not exist yet (version 0). */
export const NO_STREAM = 'no_stream' as const;
/** Expected version: no concurrency check. */
export const ANY = 'any' as const;
/** Expected version: the stream must hold at least one event. */
export const STREAM_EXISTS = 'stream_exists' as const;

export type ExpectedVersionSentinel = typeof NO_STREAM | typeof ANY | typeof STREAM_EXISTS;
/** A stream's version is the seq of its last event; 0 means the stream does not exist. */
export type ExpectedVersion = number | ExpectedVersionSentinel;

export interface AppendOptions {
  /** Default `ANY`. Checked atomically with the write. */
  expectedVersion?: ExpectedVersion;
  /**
   * Called once the batch has passed every check (ids, schemas, the expected version, inside the
   * write transaction) and is written into a transaction that commits unless the process dies
   * or the storage fails (then the append rejects), before it is durable; never for a refused or
   * deduplicated batch. The append itself still resolves only once the batch is durable. What a
   * caller does here must be safe to lose with the batch: the run host publishes dispatches that
   * replay derives again (decision 033). In memory it is called just before the append resolves.
   * A throw from it is ignored.
   */
  onWritten?: (result: AppendResult) => void;
  /**
   * Called after `onWritten`, once per commit: LMDB commits the appends of one event turn
   * together, and calls the `beforeCommit` they name (the same function once) after writing all of
   * them and before the commit and its fsync, which block the thread. Where a caller sends on
   * what its `onWritten` queued, so it leaves while the disk works (decision 038). Never for a
   * refused or deduplicated batch. In memory it is called right after `onWritten`. A throw from
   * it is ignored.
   */
  beforeCommit?: () => void;
}

export interface AppendResult {
  stream: string;
  /** The events as stored (with seq and pos), in batch order. */
  events: StoredEvent[];
  /** The stream's version after the append (for a dedupe: the version the stream has now). */
  version: number;
  /** True when every id of the batch was already in the stream: nothing was written. */
  deduplicated: boolean;
}

export interface ReadStreamOptions {
  /** First seq to return (inclusive). Default: 1 forward, the last event backward. */
  fromSeq?: number;
  direction?: 'forward' | 'backward';
  /** At most this many events. Default: all. */
  limit?: number;
}

export interface ReadAllOptions {
  /** First global position to return (inclusive). Default 1. */
  fromPos?: number;
  limit?: number;
}

export interface SubscribeOptions {
  /** First global position to deliver (inclusive). Default 1 (the whole log); `'end'`: only events appended later. */
  fromPos?: number | 'end';
  /**
   * Deliver only events of these types (then `filter` decides among them). A store may pass
   * over the others without decoding them (the LMDB adapter does); positions still advance.
   */
  types?: ReadonlySet<string>;
  /** Deliver only events for which this returns true (positions still advance past the others). */
  filter?: (event: StoredEvent) => boolean;
}

/** Called once per event, in global order; the next event waits until the returned promise settles. */
export type SubscriptionHandler = (event: StoredEvent) => void | Promise<void>;

export interface Subscription {
  /** Stops delivery; resolves once the handler is no longer running. Idempotent. */
  close(): Promise<void>;
  /** Global position of the last event handled (delivered or filtered out); 0 before the first. */
  readonly position: number;
  /**
   * Settles when the subscription ends: resolves after `close()` or the store's close, rejects
   * (LilyError, the handler's error as cause) if the handler throws. A handler error stops the
   * subscription; the failed event is not counted in `position`.
   */
  readonly done: Promise<void>;
}

export interface Snapshot<S = unknown> {
  stream: string;
  /** The state folds every event of the stream up to and including this seq. */
  seq: number;
  state: S;
}

/**
 * Port: the append-only log, the truth of Lily.
 *
 * Events live in streams (`run/<id>`, `job/<id>`, ...): `seq` is 1-based per stream, `pos` is
 * the 1-based global position. Global order is consistent with every stream's order.
 *
 * Failure semantics:
 * - `append` refuses unknown types (`event_type_unknown`) and invalid data (`event_data_invalid`)
 *   before writing anything; a version mismatch throws `eventstore_version_conflict` with
 *   `{ stream, expected, actual }`; a batch that repeats an id, or of which only some ids are
 *   already in the stream, throws `eventstore_batch_invalid`. Any refusal writes nothing.
 * - Idempotence: a batch whose ids are all already in the stream writes nothing and returns the
 *   stored events (`deduplicated: true`), whatever its expected version.
 * - Durability: `append` resolves only once the batch is flushed to stable storage (LMDB
 *   adapter); concurrent appends share one flush. Storage failures throw `eventstore_unavailable`.
 * - Every method but `close` throws `eventstore_unavailable` after `close()`.
 *
 * @example
 * const { events } = await store.append('run/01H...', [ev], { expectedVersion: NO_STREAM });
 * const sub = store.subscribe({ fromPos: 1 }, (e) => project(e));
 * await sub.close();
 */
export interface EventStore {
  append(stream: string, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  readStream(stream: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;
  /**
   * The event of `stream` with this id (the id an append dedupes on), or undefined. One index
   * lookup: how a writer that names its events finds out whether one was already written.
   */
  readEvent(stream: string, id: string): Promise<StoredEvent | undefined>;
  readAll(options?: ReadAllOptions): Promise<StoredEvent[]>;
  /** Catch-up from the log, then live: every matching event exactly once, in global order. */
  subscribe(options: SubscribeOptions, handler: SubscriptionHandler): Subscription;
  /** Stream names starting with `prefix` (e.g. `run/`), sorted by code unit. */
  listStreams(prefix?: string): Promise<string[]>;
  /** The seq of the stream's last event; 0 if the stream does not exist. */
  streamVersion(stream: string): Promise<number>;
  /** The global position of the last event in the store; 0 when empty. */
  lastPosition(): Promise<number>;
  /** Stores a snapshot of a stream's projection at `seq` (JSON-compatible state). Durable on resolve. */
  saveSnapshot<S>(stream: string, seq: number, state: S): Promise<void>;
  /** The snapshot with the highest seq for the stream, or undefined. */
  loadLatestSnapshot<S>(stream: string): Promise<Snapshot<S> | undefined>;
  /** Ends subscriptions and releases the storage. Idempotent. */
  close(): Promise<void>;
}

export type VersionConflictError = LilyError & {
  code: 'eventstore_version_conflict';
  data: { stream: string; expected: ExpectedVersion; actual: number };
};

export const isVersionConflict = (e: unknown): e is VersionConflictError =>
  hasErrorCode(e, 'eventstore_version_conflict');

/** Throws `eventstore_version_conflict` unless `actual` satisfies `expected`. */
export const checkExpectedVersion = (stream: string, expected: ExpectedVersion, actual: number): void => {
  if (versionMatches(expected, actual)) return;
  throw new LilyError(
    'eventstore_version_conflict',
    `stream ${stream} is at version ${actual}, expected ${expected}`,
    { stream, expected, actual },
  );
};

export const versionMatches = (expected: ExpectedVersion, actual: number): boolean => {
  if (expected === ANY) return true;
  if (expected === NO_STREAM) return actual === 0;
  if (expected === STREAM_EXISTS) return actual > 0;
  return expected === actual;
};
