import { join } from 'node:path';
import type { ArtifactSchemaRegistry, ArtifactStore } from '../contracts/artifact-store.js';
import type { Clock } from '../contracts/clock.js';
import type { EventStore } from './event-store.js';
import { openFsArtifactStore } from './fs-artifact-store.js';
import { closeLilyLmdb, openLilyLmdb } from './lmdb-env.js';
import { openLmdbEventStore } from './lmdb-event-store.js';
import { lmdbVersionedRecords, type RecordTableName, type VersionedRecords } from './versioned-records.js';

export interface LilyStorage {
  events: EventStore;
  artifacts: ArtifactStore;
  /** `<dir>/runs`: where `writeReceipts` puts projections. */
  runsDir: string;
  /**
   * A compare-and-set record table in the same environment (the workers' dispatch ledger). The
   * storage engine stays private: callers see `VersionedRecords`, never an LMDB handle.
   */
  records<V>(table: RecordTableName): VersionedRecords<V>;
  /** Closes both stores, then the environment. */
  close(): Promise<void>;
}

/**
 * Opens a project's storage under its `.lily` directory: one LMDB environment (`<dir>/db`)
 * shared by the event store and the artifact index, blobs under `<dir>/artifacts`.
 *
 * @example
 * const storage = await openLilyStorage({ dir: '.lily', registry: schemas });
 */
export const openLilyStorage = async (options: {
  dir: string;
  clock?: Clock;
  registry?: ArtifactSchemaRegistry;
  pollIntervalMs?: number;
}): Promise<LilyStorage> => {
  const root = openLilyLmdb(join(options.dir, 'db'));
  const events = openLmdbEventStore({ root, pollIntervalMs: options.pollIntervalMs });
  const artifacts = await openFsArtifactStore({
    dir: options.dir,
    root,
    clock: options.clock,
    registry: options.registry,
  });
  return {
    events,
    artifacts,
    runsDir: join(options.dir, 'runs'),
    records: (table) => lmdbVersionedRecords(root, table),
    async close() {
      await events.close();
      await artifacts.close();
      await closeLilyLmdb(root);
    },
  };
};
