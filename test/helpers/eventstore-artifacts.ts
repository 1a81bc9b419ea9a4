import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { z } from 'zod';
import type { ArtifactSchemaRegistry, ArtifactStore } from '../../src/contracts/artifact-store.js';
import { SimulatedClock } from '../../src/contracts/clock.js';
import { openFsArtifactStore } from '../../src/eventstore/fs-artifact-store.js';
import { createInMemoryArtifactStore } from '../../src/eventstore/in-memory-artifact-store.js';
import { ensureLilyBuckets } from '../../src/eventstore/jetstream/buckets.js';
import { openNatsArtifactStore } from '../../src/eventstore/jetstream/nats-artifact-store.js';
import { tempDir } from './eventstore.js';
import { startNatsServer } from './nats-server.js';

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
  {
    // Blobs in a JetStream object store, records in KV, on a real nats-server; a reopen restarts
    // the server on its store and opens the buckets on a new connection.
    name: 'nats-object-store',
    async create(registry) {
      const clock = new SimulatedClock(1_000);
      const server = await startNatsServer({ jetstream: true });
      const connections: Awaited<ReturnType<typeof connect>>[] = [];
      const opened: ArtifactStore[] = [];
      const open = async () => {
        const nc = await connect({ servers: server.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
        connections.push(nc);
        const buckets = await ensureLilyBuckets(nc, 'contract', { replicas: 1 });
        const s = openNatsArtifactStore({ buckets, clock, ...(registry ? { registry } : {}) });
        opened.push(s);
        return s;
      };
      const store = await open();
      return {
        store,
        clock,
        reopen: async () => {
          await store.close();
          await server.restart();
          return open();
        },
        destroy: async () => {
          for (const s of opened) await s.close().catch(() => {});
          for (const nc of connections) await nc.close();
          await server.stop();
        },
      };
    },
  },
];
