import { mkdirSync } from 'node:fs';
import { type Database, type Key, open, type RootDatabase, type RootDatabaseOptions } from 'lmdb';
import { LilyError } from '../contracts/errors.js';

/**
 * The options every process opens `.lily/db` with. They must be identical in all processes that
 * share the environment (mixing `noSync`/`overlappingSync` between opens can corrupt it), so they
 * live in one frozen constant and nothing else opens the environment.
 *
 * - `overlappingSync: true`: a commit is visible at once, its fsync runs outside the writer
 *   lock; an append awaits `flushed` before it resolves, so acknowledged means durable.
 * - `noSync`/`noMetaSync`/`useWritemap` off: LMDB's crash-proof copy-on-write with fsync.
 * - `cache: false`: a per-process object cache would serve stale entries across processes.
 * - `encoding: 'msgpack'` without shared structures: every value is self-describing, so any
 *   process can decode any value without coordinating structure tables.
 */
export const LMDB_OPEN_OPTIONS = Object.freeze({
  maxDbs: 32,
  overlappingSync: true,
  noSync: false,
  noMetaSync: false,
  useWritemap: false,
  cache: false,
  compression: false,
  encoding: 'msgpack',
} as const satisfies RootDatabaseOptions);

/** Named databases of the environment and the shape of their keys and values. */
export const DB_NAMES = Object.freeze({
  /** pos -> StoredEvent */
  events: 'events',
  /** [stream, seq] -> pos */
  streamIndex: 'stream-index',
  /** stream -> version (seq of its last event) */
  heads: 'stream-heads',
  /** [stream, eventId] -> pos */
  eventIds: 'event-ids',
  /** [stream, seq] -> state */
  snapshots: 'snapshots',
  /** 'pos' -> last global position */
  meta: 'meta',
  /** [sha256, recordKey] -> ArtifactRef */
  artifacts: 'artifacts',
  /** [runId, sha256, recordKey] -> true */
  artifactRuns: 'artifact-runs',
});

export const DB_OPTIONS = Object.freeze({ cache: false, compression: false, encoding: 'msgpack' } as const);

/** Opens (creating if needed) the shared LMDB environment at `path`. Throws `eventstore_unavailable`. */
export const openLilyLmdb = (path: string): RootDatabase => {
  try {
    mkdirSync(path, { recursive: true });
    return open({ path, ...LMDB_OPEN_OPTIONS });
  } catch (e) {
    throw new LilyError(
      'eventstore_unavailable',
      `cannot open LMDB environment at ${path}`,
      { path },
      { cause: e },
    );
  }
};

export const openNamedDb = <V, K extends Key>(root: RootDatabase, name: string): Database<V, K> =>
  root.openDB<V, K>(name, DB_OPTIONS);
