/**
 * Following a run reads the log; the bus only wakes the reader. Every event is delivered once,
 * in order, whether a wake-up came over the bus, from the safety re-read, or not at all (the
 * follow was stopped).
 */
import { describe, expect, it } from 'vitest';
import { createInMemoryBus } from '../../../src/actors/bus/in-memory-bus.js';
import { followStream } from '../../../src/client/runs/follow.js';
import { watchLog } from '../../../src/client/runs/wake.js';
import type { StoredEvent } from '../../../src/contracts/events/envelope.js';
import { createInMemoryEventStore } from '../../../src/eventstore/in-memory-event-store.js';
import { SAMPLE_RUN_ID, sampleRunEvents } from '../../helpers/eventstore-runs.js';
import { manualWake } from '../../helpers/manual-wake.js';

const STREAM = `run/${SAMPLE_RUN_ID}`;
const WAKE_SUBJECT = 'lily.test.evt.job.run.step_started';
const isCompletion = (e: StoredEvent) => e.type === 'run.completed';

describe('followStream', () => {
  it('delivers every event once, in seq order, across bus wake-ups, and ends at run.completed', async () => {
    const store = createInMemoryEventStore();
    const events = sampleRunEvents('succeeded');
    const half = Math.floor(events.length / 2);
    await store.append(STREAM, events.slice(0, half));
    const bus = createInMemoryBus();
    // No safety re-read within the test: only the bus wakes the reader.
    const wake = await watchLog(bus, WAKE_SUBJECT, 3_600_000);
    const seen: StoredEvent[] = [];
    const done = (async () => {
      for await (const e of followStream(store, STREAM, { wake, until: isCompletion })) {
        seen.push(e);
        if (seen.length === half) {
          await store.append(STREAM, events.slice(half));
          bus.publish(WAKE_SUBJECT, { seq: half + 1 });
        }
      }
    })();
    await done;
    expect(seen.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(seen.at(-1)?.type).toBe('run.completed');
    await bus.close();
  });

  it('a lost wake-up is covered by the re-read of the log', async () => {
    const store = createInMemoryEventStore();
    const events = sampleRunEvents('failed');
    await store.append(STREAM, events.slice(0, 2));
    // A bus that never carries the announcement: only the re-read can find the rest.
    const wake = await watchLog(undefined, undefined, 5);
    const seen: number[] = [];
    for await (const e of followStream(store, STREAM, { wake, until: isCompletion })) {
      seen.push(e.seq);
      if (e.seq === 2) await store.append(STREAM, events.slice(2));
    }
    expect(seen).toEqual(events.map((_, i) => i + 1));
  });

  it('starts at fromSeq, and aborting ends the follow quietly and closes the wake', async () => {
    const store = createInMemoryEventStore();
    const events = sampleRunEvents('succeeded');
    await store.append(STREAM, events.slice(0, 4));
    const manual = manualWake();
    const abort = new AbortController();
    const seen: number[] = [];
    for await (const e of followStream(store, STREAM, {
      wake: manual.wake,
      fromSeq: 3,
      until: isCompletion,
      signal: abort.signal,
    })) {
      seen.push(e.seq);
      if (e.seq === 4) abort.abort();
    }
    expect(seen).toEqual([3, 4]);
    expect(manual.closed()).toBeGreaterThan(0);
  });

  it('breaking out of the loop closes the wake', async () => {
    const store = createInMemoryEventStore();
    await store.append(STREAM, sampleRunEvents('succeeded').slice(0, 3));
    const manual = manualWake();
    for await (const e of followStream(store, STREAM, { wake: manual.wake })) if (e.seq === 2) break;
    expect(manual.closed()).toBe(1);
  });

  it('a read that fails ends the follow with its error', async () => {
    const store = createInMemoryEventStore();
    await store.close();
    const manual = manualWake();
    const follow = async () => {
      for await (const _ of followStream(store, STREAM, { wake: manual.wake })) {
        // nothing is delivered from a closed store
      }
    };
    await expect(follow()).rejects.toMatchObject({ code: 'eventstore_unavailable' });
    expect(manual.closed()).toBe(1);
  });
});

describe('watchLog', () => {
  it('wakes on a message of its pattern, not on other subjects', async () => {
    const bus = createInMemoryBus();
    const wake = await watchLog(bus, 'lily.test.evt.job.run.>', 3_600_000);
    let woke = false;
    const next = wake.next().then(() => {
      woke = true;
    });
    bus.publish('lily.test.evt.job.other.step_started', {});
    await bus.flush();
    expect(woke).toBe(false);
    bus.publish('lily.test.evt.job.run.step_started', {});
    await next;
    expect(woke).toBe(true);
    wake.close();
    await expect(wake.next()).resolves.toBeUndefined();
    await bus.close();
  });
});
