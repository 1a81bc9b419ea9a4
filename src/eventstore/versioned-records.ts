import type { RootDatabase } from 'lmdb';
import { durableWrite } from './group-commit.js';
import { openNamedDb } from './lmdb-env.js';

/** A record and the revision it was read at (1 for the first write, +1 on every write). */
export interface VersionedRecord<V> {
  value: V;
  revision: number;
}

/**
 * A small table of durable records with compare-and-set writes: what a lease or claim table
 * needs from storage, and nothing of the storage engine behind it. The shape is that of a
 * JetStream KV bucket (`get` returns a revision, `update` takes the revision it expects), so
 * code written against it carries over to NATS KV unchanged.
 *
 * Failure semantics: `eventstore_unavailable` when the write cannot be made durable (a full
 * disk, a closed environment); nothing is written then.
 *
 * @example
 * const claims = storage.records<Claim>('dispatch-claims');
 * const current = await claims.get(id);
 * const revision = await claims.compareAndSet(id, next, current?.revision ?? 0);
 * if (revision === undefined) {
 *   // someone else wrote first: read again and decide again
 * }
 */
export interface VersionedRecords<V> {
  /** The committed record under `key`, or undefined. */
  get(key: string): Promise<VersionedRecord<V> | undefined>;
  /**
   * Writes `value` when the record's revision is still `expected` (0: the key is absent) and
   * resolves with the new revision once the write is durable; resolves undefined, writing
   * nothing, when another writer (in this process or another) got there first.
   */
  compareAndSet(key: string, value: V, expected: number): Promise<number | undefined>;
}

/** The named tables of the environment that `LilyStorage.records` opens. */
export const RECORD_TABLES = Object.freeze({
  /** dispatch id -> claim (running, owner, heartbeat) or its replies: the workers' dispatch ledger. */
  'dispatch-claims': 'dispatch-claims',
});
export type RecordTableName = keyof typeof RECORD_TABLES;

interface Stored<V> {
  revision: number;
  value: V;
}

/**
 * LMDB adapter: one named database; `compareAndSet` reads and writes in one write transaction,
 * which LMDB serializes across every process sharing the environment.
 */
export const lmdbVersionedRecords = <V>(root: RootDatabase, table: RecordTableName): VersionedRecords<V> => {
  const db = openNamedDb<Stored<V>, string>(root, RECORD_TABLES[table]);
  return {
    async get(key) {
      const stored = db.get(key);
      return stored === undefined ? undefined : { value: stored.value, revision: stored.revision };
    },
    compareAndSet(key, value, expected) {
      return durableWrite(root, `${table} write`, () => {
        const revision = db.get(key)?.revision ?? 0;
        if (revision !== expected) return undefined;
        db.put(key, { revision: revision + 1, value });
        return revision + 1;
      });
    },
  };
};
