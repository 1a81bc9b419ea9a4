import { join } from 'node:path';
import { z } from 'zod';
import type { ArtifactSchemaRegistry, ArtifactStore } from '../../src/contracts/artifact-store.js';
import { SimulatedClock } from '../../src/contracts/clock.js';
import { openFsArtifactStore } from '../../src/eventstore/fs-artifact-store.js';
import { createInMemoryArtifactStore } from '../../src/eventstore/in-memory-artifact-store.js';
import { tempDir } from './eventstore.js';

const reportSchema = z.object({ title: z.string(), score: z.number() });
/** A registry knowing one type, `report@1`. */
export const TEST_SCHEMAS: ArtifactSchemaRegistry = {
  get: (type) => (type === 'report@1' ? reportSchema : undefined),
};

export interface ArtifactFactory {
  name: string;
  create(registry?: ArtifactSchemaRegistry): Promise<{
    store: ArtifactStore;
    clock: SimulatedClock;
    /** The `.lily` dir when the adapter writes to disk. */
    dir?: string;
    reopen?: () => Promise<ArtifactStore>;
    destroy: () => Promise<void>;
  }>;
}

export const ARTIFACT_STORE_FACTORIES: ArtifactFactory[] = [
  {
    name: 'in-memory',
    async create(registry) {
      const clock = new SimulatedClock(1_000);
      const store = createInMemoryArtifactStore({ clock, registry });
      return { store, clock, destroy: () => store.close() };
    },
  },
  {
    name: 'fs+lmdb',
    async create(registry) {
      const clock = new SimulatedClock(1_000);
      const { dir, cleanup } = tempDir('art');
      const lily = join(dir, '.lily');
      const opened: ArtifactStore[] = [];
      const open = async () => {
        const s = await openFsArtifactStore({ dir: lily, clock, registry });
        opened.push(s);
        return s;
      };
      const store = await open();
      return {
        store,
        clock,
        dir: lily,
        reopen: async () => {
          await store.close();
          return open();
        },
        destroy: async () => {
          for (const s of opened) await s.close().catch(() => {});
          cleanup();
        },
      };
    },
  },
];
