import { existsSync } from 'node:fs';
import type { ArtifactStore } from '../contracts/artifact-store.js';
import type { Clock } from '../contracts/clock.js';
import type { EventStore } from '../eventstore/event-store.js';
import type { ProjectPaths } from '../project/paths.js';

/** What the client reads (and, for a few operations, writes): the log and the artifact store. */
export interface Stores {
  events: EventStore;
  artifacts: ArtifactStore;
  /** `.lily/runs`: where the projector writes receipts. */
  runsDir: string;
  /** False for the empty in-memory view of a project whose `.lily/db` does not exist yet. */
  persistent: boolean;
  close(): Promise<void>;
}

/**
 * The project's stores. For reading (`create: false`) a project without `.lily/db` gets an
 * empty in-memory view, so read-only commands never create the database; `create: true` opens
 * (and if need be creates) the LMDB environment. Throws `eventstore_unavailable`.
 */
export const openStores = async (
  paths: ProjectPaths,
  o: { create: boolean; clock: Clock },
): Promise<Stores> => {
  if (!o.create && !existsSync(paths.db)) {
    const [{ createInMemoryEventStore }, { createInMemoryArtifactStore }] = await Promise.all([
      import('../eventstore/in-memory-event-store.js'),
      import('../eventstore/in-memory-artifact-store.js'),
    ]);
    const events = createInMemoryEventStore();
    const artifacts = createInMemoryArtifactStore({ clock: o.clock });
    return {
      events,
      artifacts,
      runsDir: paths.runs,
      persistent: false,
      async close() {
        await events.close();
        await artifacts.close();
      },
    };
  }
  const { openLilyStorage } = await import('../eventstore/storage.js');
  const storage = await openLilyStorage({ dir: paths.root, clock: o.clock });
  return { ...storage, persistent: true, close: () => storage.close() };
};
