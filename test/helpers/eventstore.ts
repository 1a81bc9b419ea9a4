import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewEvent } from '../../src/contracts/events/envelope.js';
import type { EventStore } from '../../src/eventstore/event-store.js';
import { createInMemoryEventStore } from '../../src/eventstore/in-memory-event-store.js';
import { openLmdbEventStore } from '../../src/eventstore/lmdb-event-store.js';

let counter = 0;

/** A valid `timer.cancelled` event: the smallest schema in the catalog, handy for store tests. */
export const ev = (id = `e-${++counter}`, extra: Partial<NewEvent> = {}): NewEvent => ({
  id,
  type: 'timer.cancelled',
  at: 1_700_000_000_000,
  data: { timerId: id },
  meta: { producer: 'test' },
  ...extra,
});

export const evs = (prefix: string, n: number): NewEvent[] =>
  Array.from({ length: n }, (_, i) => ev(`${prefix}-${i + 1}`));

/** A temp directory removed by the returned cleanup. */
export const tempDir = (label: string): { dir: string; cleanup: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), `lily-${label}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
};

export interface StoreFactory {
  name: string;
  /** A fresh, empty store and its teardown. */
  create(): Promise<{ store: EventStore; destroy: () => Promise<void> }>;
}

/** Every adapter of the EventStore port: the contract suite runs unchanged against each. */
export const EVENT_STORE_FACTORIES: StoreFactory[] = [
  {
    name: 'in-memory',
    async create() {
      const store = createInMemoryEventStore();
      return { store, destroy: () => store.close() };
    },
  },
  {
    name: 'lmdb',
    async create() {
      const { dir, cleanup } = tempDir('es');
      const store = openLmdbEventStore({ path: join(dir, 'db'), pollIntervalMs: 5 });
      return {
        store,
        destroy: async () => {
          await store.close();
          cleanup();
        },
      };
    },
  },
];

/** Resolves when `predicate()` holds, checking after each macrotask; rejects after `max` checks. */
export const until = async (predicate: () => boolean, max = 20_000): Promise<void> => {
  for (let i = 0; i < max; i++) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error('condition not reached');
};
