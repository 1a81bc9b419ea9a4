import { mkdirSync } from 'node:fs';
import { type Database, type Key, open, type RootDatabase, type RootDatabaseOptions } from 'lmdb';
import { LilyError } from '../contracts/errors.js';
import { probe } from '../contracts/probe.js';
import { checkLmdbFile } from './lmdb-integrity.js';
import { PRIVATE_DIR_MODE, privateLmdbFiles } from './private-files.js';

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
 *   process can decode any value without coordinating structure tables. Events are the
 *   exception: they are written as their JSON bytes through a binary handle (decision 036).
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

export const openNamedDb = <V, K extends Key>(root: RootDatabase, name: string): Database<V, K> =>
  root.openDB<V, K>(name, DB_OPTIONS);

/** A named database whose values are the bytes stored (no encoding or decoding). */
export const openRawDb = <K extends Key>(root: RootDatabase, name: string): Database<Buffer, K> =>
  root.openDB<Buffer, K>(name, { ...DB_OPTIONS, encoding: 'binary' });

const ignore = (): void => undefined;

const callSafely = <T>(fn: (value: T) => void, value: T): void => {
  try {
    fn(value);
  } catch {
    // The caller's hook; the write it follows stands either way.
  }
};

/** The OS error behind lmdb-js's "Commit failed" (its `commitError`), if known by the next turn. */
const osError = async (e: unknown): Promise<unknown> => {
  const commitError = (e as { commitError?: Promise<unknown> } | undefined)?.commitError;
  if (commitError === undefined) return undefined;
  let os: unknown;
  commitError.then(ignore, (c: unknown) => {
    os = c;
  });
  // It is rejected together with the failed commit; never wait on it longer than this.
  await new Promise((resolve) => setImmediate(resolve));
  return os;
};

/**
 * Runs `write` in a child transaction of `root` and resolves once it is flushed. Any failure
 * (a full disk: ENOSPC, EIO, EFBIG; a closed environment) becomes `eventstore_unavailable`
 * `{what}`, and nothing is left to crash the process: when a commit fails, lmdb-js also rejects
 * promises no caller holds (the event-turn batch's commit promise and `error.commitError`,
 * which carries the OS error), so they are handled here. The transaction is all or nothing.
 * `onWritten` runs inside the transaction, right after `write` (lmdb-js reports a commit only
 * once its fsync is done, so this is the last moment before the commit and the flush): work
 * that may overlap them goes there (a throw from it is ignored).
 */
export const durableWrite = async <T>(
  root: RootDatabase,
  what: string,
  write: () => T,
  onWritten?: (result: T) => void,
): Promise<T> => {
  try {
    const result = await root.childTransaction(() => {
      // `committed` is, at this point, the commit promise of the batch this transaction is in.
      root.committed.then(undefined, ignore);
      const written = write();
      if (onWritten) callSafely(onWritten, written);
      return written;
    });
    probe('lmdb.committed', what);
    await root.flushed;
    return result as T;
  } catch (e) {
    const cause = (await osError(e)) ?? e;
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new LilyError('eventstore_unavailable', `${what} failed: ${detail}`, { what }, { cause });
  }
};
