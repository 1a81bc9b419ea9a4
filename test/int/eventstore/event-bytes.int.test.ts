import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../src/contracts/events/envelope.js';
import { storedEventBytes } from '../../../src/eventstore/event-bytes.js';
import { DB_NAMES, openLilyLmdb, openNamedDb, openRawDb } from '../../../src/eventstore/lmdb-env.js';
import { openLmdbEventStore } from '../../../src/eventstore/lmdb-event-store.js';
import { ev, tempDir } from '../../helpers/eventstore.js';

/** Decision 036: events are stored as their JSON bytes, and those bytes are what the outbox publishes. */
describe('LMDB events stored as JSON', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const temp = () => {
    const t = tempDir('event-bytes');
    cleanups.push(t.cleanup);
    return join(t.dir, 'db');
  };

  it('stores each event as the JSON the bus publishes, the same bytes handed to the outbox', async () => {
    const path = temp();
    const store = openLmdbEventStore({ path });
    const { events } = await store.append('run/x', [ev('a', { data: { timerId: 'é ✓ "q"' } }), ev('b')]);
    await store.close();
    const root = openLilyLmdb(path);
    cleanups.unshift(() => root.close());
    const raw = openRawDb<number>(root, DB_NAMES.events);
    for (const e of events) {
      const stored = raw.getBinary(e.pos) as Buffer;
      expect(stored.toString('utf8')).toBe(JSON.stringify(e));
      // The outbox's bytes for this very object: those the store wrote, not a second encoding,
      // handed out once (then encoded again on demand, to the same bytes).
      const first = storedEventBytes(e);
      expect(first).toEqual(stored);
      const again = storedEventBytes(e);
      expect(again).not.toBe(first);
      expect(again).toEqual(stored);
    }
  });

  it('reads a log written as msgpack before decision 036, and one where both kinds follow each other', async () => {
    const path = temp();
    // Two events as an earlier Lily wrote them: msgpack values under the same keys and indexes.
    const root = openLilyLmdb(path);
    const old = openNamedDb<StoredEvent, number>(root, DB_NAMES.events);
    const streamIndex = openNamedDb<number, [string, number]>(root, DB_NAMES.streamIndex);
    const eventIds = openNamedDb<number, [string, string]>(root, DB_NAMES.eventIds);
    const heads = openNamedDb<number, string>(root, DB_NAMES.heads);
    const meta = openNamedDb<number, string>(root, DB_NAMES.meta);
    const legacy: StoredEvent[] = ['o1', 'o2'].map((id, i) => ({
      id,
      type: 'timer.cancelled',
      at: 1_700_000_000_000,
      data: { timerId: id },
      meta: { producer: 'test' },
      stream: 'run/x',
      seq: i + 1,
      pos: i + 1,
    }));
    await root.transaction(() => {
      for (const e of legacy) {
        old.put(e.pos, e);
        streamIndex.put([e.stream, e.seq], e.pos);
        eventIds.put([e.stream, e.id], e.pos);
      }
      heads.put('run/x', 2);
      meta.put('pos', 2);
    });
    await root.close();

    const store = openLmdbEventStore({ path });
    cleanups.unshift(() => store.close());
    const appended = await store.append('run/x', [ev('n1'), ev('n2')], { expectedVersion: 2 });
    expect(appended.events.map((e) => e.seq)).toEqual([3, 4]);
    const all = await store.readStream('run/x');
    expect(all.map((e) => e.id)).toEqual(['o1', 'o2', 'n1', 'n2']);
    expect(all.slice(0, 2)).toEqual(legacy);
    expect((await store.readAll()).map((e) => e.pos)).toEqual([1, 2, 3, 4]);
    expect((await store.readEvent('run/x', 'o2'))?.seq).toBe(2);
    // A retry of an old batch is still recognised as one (its events are found and decoded).
    const retry = await store.append('run/x', [
      {
        id: 'o1',
        type: 'timer.cancelled',
        at: 1_700_000_000_000,
        data: { timerId: 'o1' },
        meta: { producer: 'test' },
      },
      {
        id: 'o2',
        type: 'timer.cancelled',
        at: 1_700_000_000_000,
        data: { timerId: 'o2' },
        meta: { producer: 'test' },
      },
    ]);
    expect(retry.deduplicated).toBe(true);
  });
});
