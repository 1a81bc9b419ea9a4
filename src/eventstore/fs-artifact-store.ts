import type { RootDatabase } from 'lmdb';
import type { ArtifactSchemaRegistry, ArtifactStore } from '../contracts/artifact-store.js';
import type { Clock } from '../contracts/clock.js';
import type { ArtifactRef } from '../contracts/events/shared-schemas.js';
import { createArtifactStore } from './artifact-core.js';
import type { ArtifactIndex } from './artifact-parts.js';
import { createFsBlobStore } from './fs-blob-store.js';
import { durableWrite } from './group-commit.js';
import { closeLilyLmdb, DB_NAMES, openLilyLmdb, openNamedDb } from './lmdb-env.js';

export interface FsArtifactStoreOptions {
  /** The `.lily` directory: blobs go to `<dir>/artifacts/sha256/…`. */
  dir: string;
  /** The LMDB environment holding the index (shared with the event store); not closed by `close()`. */
  root?: RootDatabase;
  /** Or a path to open one (`<dir>/db` by default); closed by `close()`. */
  dbPath?: string;
  clock?: Clock;
  registry?: ArtifactSchemaRegistry;
}

const MAX = '\uffff';

/** The provenance index in LMDB: `[sha, recordKey] -> ref` and `[runId, sha, recordKey] -> 1`. */
export const createLmdbArtifactIndex = (root: RootDatabase, ownsRoot: boolean): ArtifactIndex => {
  const records = openNamedDb<ArtifactRef, [string, string]>(root, DB_NAMES.artifacts);
  const runs = openNamedDb<1, [string, string, string]>(root, DB_NAMES.artifactRuns);
  return {
    get: async (s, key) => records.get([s, key]),
    bySha: async (s) => [...records.getRange({ start: [s, ''], end: [s, MAX] }).map((e) => e.value)],
    async byRun(runId) {
      const out: ArtifactRef[] = [];
      for (const { key } of runs.getRange({ start: [runId, '', ''], end: [runId, MAX, MAX] })) {
        const ref = records.get([key[1], key[2]]);
        if (ref) out.push(ref);
      }
      return out;
    },
    all: async () => [...records.getRange({}).map((e) => e.value)],
    async put(key, ref) {
      await durableWrite(root, 'artifact index put', () => {
        if (records.doesExist([ref.sha256, key])) return;
        records.put([ref.sha256, key], ref);
        if (ref.runId !== undefined) runs.put([ref.runId, ref.sha256, key], 1);
      });
    },
    async removeSha(s) {
      return durableWrite(root, 'artifact index remove', () => {
        const entries = [...records.getRange({ start: [s, ''], end: [s, MAX] })];
        for (const { key, value } of entries) {
          records.remove(key);
          if (value.runId !== undefined) runs.remove([value.runId, s, key[1]]);
        }
        return entries.length;
      });
    },
    async close() {
      if (ownsRoot) await closeLilyLmdb(root);
    },
  };
};

/**
 * The artifact store of a project: blobs on disk under `<dir>/artifacts/`, the index in LMDB.
 *
 * @example
 * const artifacts = await openFsArtifactStore({ dir: '.lily', root, registry: schemas });
 */
export const openFsArtifactStore = async (options: FsArtifactStoreOptions): Promise<ArtifactStore> => {
  const ownsRoot = !options.root;
  const root = options.root ?? openLilyLmdb(options.dbPath ?? `${options.dir}/db`);
  const blobs = await createFsBlobStore(options.dir);
  return createArtifactStore({
    blobs,
    index: createLmdbArtifactIndex(root, ownsRoot),
    clock: options.clock,
    registry: options.registry,
  });
};
