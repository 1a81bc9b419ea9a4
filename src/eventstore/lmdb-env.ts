import { mkdirSync } from 'node:fs';
import { type Database, type Key, open, type RootDatabase, type RootDatabaseOptions } from 'lmdb';
import { LilyError } from '../contracts/errors.js';
import { groupCommitsSettled } from './group-commit.js';
import { checkLmdbFile } from './lmdb-integrity.js';
import { PRIVATE_DIR_MODE, privateLmdbFiles } from './private-files.js';

/**
 * The options every process opens `.lily/db` with. They must be identical in all processes that
 * share the environment (mixing `noSync`/`overlappingSync` between opens can corrupt it), so they
 * live in one frozen constant and nothing else opens the environment.
 *
 * - `overlappingSync: false`, and every write is a synchronous group commit (`durableWrite`): with
 *   several processes writing, lmdb-js's overlapping sync and its write-thread transactions
 *   lost acknowledged commits and corrupted pages (decision 037). A commit returns once fsynced.
 * - `noSync`/`noMetaSync`/`useWritemap` off: LMDB's crash-proof copy-on-write with fsync.
 * - `cache: false`: a per-process object cache would serve stale entries across processes.
 * - `encoding: 'msgpack'` without shared structures: every value is self-describing, so any
 *   process can decode any value without coordinating structure tables. Events are the
 *   exception: they are written as their JSON bytes through a binary handle (decision 036).
 */
export const LMDB_OPEN_OPTIONS = Object.freeze({
  maxDbs: 32,
  overlappingSync: false,
  noSync: false,
  noMetaSync: false,
  useWritemap: false,
  cache: false,
  compression: false,
  encoding: 'msgpack',
} as const satisfies RootDatabaseOptions);

/** Named databases of the environment and the shape of their keys and values. */
export const DB_NAMES = Object.freeze({
  /** pos -> StoredEvent, as its JSON bytes (msgpack in logs written before decision 036) */
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

/**
 * Opens (creating if needed) the shared LMDB environment at `path`: the directory 0700, its
 * files 0600 (LMDB creates them 0664; the private directory keeps them unreachable until they
 * are narrowed). Throws `eventstore_corrupt` for a damaged or truncated `data.mdb` (checked
 * before it is mapped), `eventstore_unavailable` when it cannot be opened.
 */
export const openLilyLmdb = (path: string): RootDatabase => {
  checkLmdbFile(path);
  try {
    mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
    const root = open({ path, ...LMDB_OPEN_OPTIONS });
    privateLmdbFiles(path);
    return root;
  } catch (e) {
    throw new LilyError(
      'eventstore_unavailable',
      `cannot open LMDB environment at ${path}`,
      { path },
      { cause: e },
    );
  }
};

/** Closes an environment opened with `openLilyLmdb` once the writes queued for it are committed. */
export const closeLilyLmdb = async (root: RootDatabase): Promise<void> => {
  await groupCommitsSettled(root);
  await root.close();
};

export const openNamedDb = <V, K extends Key>(root: RootDatabase, name: string): Database<V, K> =>
  root.openDB<V, K>(name, DB_OPTIONS);

/** A named database whose values are the bytes stored (no encoding or decoding). */
export const openRawDb = <K extends Key>(root: RootDatabase, name: string): Database<Buffer, K> =>
  root.openDB<Buffer, K>(name, { ...DB_OPTIONS, encoding: 'binary' });
