import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../../src/contracts/errors.js';
import type { EventStore } from '../../../src/eventstore/event-store.js';
import { createInMemoryEventStore } from '../../../src/eventstore/in-memory-event-store.js';
import { verifyEventStore } from '../../../src/eventstore/verify-store.js';

const fired = (id: string) => ({
  id,
  type: 'timer.fired' as const,
  at: 1,
  data: { timerId: id, firedAt: 1 },
  meta: { causationId: id, correlationId: id, producer: 'test' },
});

const seeded = async (): Promise<EventStore> => {
  const store = createInMemoryEventStore();
  await store.append('run/a', [fired('1'), fired('2')]);
  await store.append('run/b', [fired('3')]);
  await store.append('run/a', [fired('4')]);
  return store;
};

describe('verifyEventStore', () => {
  it('counts the events and streams of a consistent log', async () => {
    expect(await verifyEventStore(await seeded())).toEqual({ events: 4, streams: 2 });
  });

  it('names a gap in the global positions', async () => {
    const store = await seeded();
    const gappy: EventStore = {
      ...store,
      readAll: async (o) => (await store.readAll(o)).filter((e) => e.pos !== 2),
    };
    const error = await verifyEventStore(gappy).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'eventstore_corrupt') && error.data.reason).toBe('position 2 is missing');
  });

  it('names a stream head that disagrees with its events', async () => {
    const store = await seeded();
    const lying: EventStore = {
      ...store,
      streamVersion: async (s) => (s === 'run/b' ? 7 : store.streamVersion(s)),
    };
    const error = await verifyEventStore(lying).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'eventstore_corrupt') && error.data.stream).toBe('run/b');
  });
});
