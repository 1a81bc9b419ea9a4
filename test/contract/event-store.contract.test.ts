import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../src/contracts/errors.js';
import { validateEventData } from '../../src/contracts/events/catalog.js';
import type { StoredEvent } from '../../src/contracts/events/envelope.js';
import {
  ANY,
  type EventStore,
  isVersionConflict,
  NO_STREAM,
  STREAM_EXISTS,
} from '../../src/eventstore/event-store.js';
import { foldStream, loadSnapshotAndTail } from '../../src/eventstore/snapshots.js';
import { EVENT_STORE_FACTORIES, ev, evs, until } from '../helpers/eventstore.js';

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code ?? 'no code';
  }
  return 'resolved';
};

const expectContiguous = (events: StoredEvent[], from = 1) => {
  events.forEach((e, i) => {
    expect(e.pos).toBe(from + i);
  });
};

describe.each(EVENT_STORE_FACTORIES)('EventStore contract: $name', (factory) => {
  let store: EventStore;
  let destroy: () => Promise<void>;
  beforeEach(async () => {
    ({ store, destroy } = await factory.create());
  });
  afterEach(async () => {
    await destroy();
  });

  describe('append and read', () => {
    it('assigns 1-based seq per stream and global pos across streams', async () => {
      const a = await store.append('run/a', evs('a', 2));
      const b = await store.append('run/b', evs('b', 1));
      expect(a.events.map((e) => [e.seq, e.pos])).toEqual([
        [1, 1],
        [2, 2],
      ]);
      expect(b.events.map((e) => [e.stream, e.seq, e.pos])).toEqual([['run/b', 1, 3]]);
      expect(a.version).toBe(2);
      expect(await store.readStream('run/a')).toEqual(a.events);
      expect(await store.streamVersion('run/b')).toBe(1);
      expect(await store.streamVersion('run/none')).toBe(0);
      expect(await store.lastPosition()).toBe(3);
    });

    it('stores the fields of an event in one order (the order LMDB has always encoded them in)', async () => {
      await store.append('run/k', evs('k', 2));
      await store.append('run/k', evs('k2', 1));
      for (const e of await store.readAll()) {
        expect(Object.keys(e)).toEqual(['id', 'type', 'at', 'data', 'meta', 'stream', 'seq', 'pos']);
      }
    });

    it('stores the schema output: defaults filled in, meta without undefined fields', async () => {
      const e = {
        ...ev('x'),
        type: 'message.rejected' as const,
        data: { subject: 's', reason: 'r' },
        meta: { producer: 'p', causationId: undefined },
      };
      const { events } = await store.append('system', [e]);
      const [read] = await store.readStream('system');
      expect(read?.data).toEqual({ subject: 's', reason: 'r', issues: [] });
      expect(read?.meta).toEqual({ producer: 'p' });
      expect(read).toEqual(events[0]);
    });

    it('reads a stream forward and backward from a seq with a limit', async () => {
      await store.append('run/r', evs('r', 5));
      const seqs = (es: StoredEvent[]) => es.map((e) => e.seq);
      expect(seqs(await store.readStream('run/r', { fromSeq: 2, limit: 2 }))).toEqual([2, 3]);
      expect(seqs(await store.readStream('run/r', { direction: 'backward' }))).toEqual([5, 4, 3, 2, 1]);
      expect(seqs(await store.readStream('run/r', { direction: 'backward', fromSeq: 3, limit: 2 }))).toEqual([
        3, 2,
      ]);
      expect(seqs(await store.readStream('run/r', { fromSeq: 9 }))).toEqual([]);
      expect(await store.readStream('run/none')).toEqual([]);
    });

    it('reads all from a position with a limit, in global order', async () => {
      await store.append('run/a', evs('ra', 2));
      await store.append('run/b', evs('rb', 2));
      await store.append('run/a', evs('rc', 1));
      const all = await store.readAll();
      expectContiguous(all);
      expect(all.map((e) => e.stream)).toEqual(['run/a', 'run/a', 'run/b', 'run/b', 'run/a']);
      expect((await store.readAll({ fromPos: 3, limit: 2 })).map((e) => e.pos)).toEqual([3, 4]);
    });

    it('lists streams by prefix, sorted', async () => {
      for (const s of ['run/2', 'job/x', 'run/1', 'runner/z', 'system']) await store.append(s, [ev()]);
      expect(await store.listStreams('run/')).toEqual(['run/1', 'run/2']);
      expect(await store.listStreams('job/')).toEqual(['job/x']);
      expect(await store.listStreams()).toEqual(['job/x', 'run/1', 'run/2', 'runner/z', 'system']);
      expect(await store.listStreams('nope/')).toEqual([]);
    });
  });

  describe('expected version', () => {
    it('NO_STREAM passes on a new stream and conflicts on an existing one', async () => {
      await store.append('run/n', [ev()], { expectedVersion: NO_STREAM });
      const err = await store
        .append('run/n', [ev()], { expectedVersion: NO_STREAM })
        .catch((e: unknown) => e);
      expect(isVersionConflict(err)).toBe(true);
      expect((err as { data: unknown }).data).toEqual({ stream: 'run/n', expected: NO_STREAM, actual: 1 });
    });

    it('STREAM_EXISTS conflicts on a new stream and passes on an existing one', async () => {
      expect(await codeOf(store.append('run/s', [ev()], { expectedVersion: STREAM_EXISTS }))).toBe(
        'eventstore_version_conflict',
      );
      await store.append('run/s', [ev()]);
      await store.append('run/s', [ev()], { expectedVersion: STREAM_EXISTS });
      expect(await store.streamVersion('run/s')).toBe(2);
    });

    it('a number must equal the current version; ANY never conflicts', async () => {
      await store.append('run/v', evs('v', 2), { expectedVersion: 0 });
      const err = await store.append('run/v', [ev()], { expectedVersion: 1 }).catch((e: unknown) => e);
      expect((err as { data: unknown }).data).toEqual({ stream: 'run/v', expected: 1, actual: 2 });
      await store.append('run/v', [ev()], { expectedVersion: 2 });
      await store.append('run/v', [ev()], { expectedVersion: ANY });
      expect(await store.streamVersion('run/v')).toBe(4);
    });

    it('an empty batch checks the expected version and writes nothing', async () => {
      expect((await store.append('run/e', [], { expectedVersion: NO_STREAM })).events).toEqual([]);
      expect(await codeOf(store.append('run/e', [], { expectedVersion: STREAM_EXISTS }))).toBe(
        'eventstore_version_conflict',
      );
      expect(await store.listStreams()).toEqual([]);
    });

    it('exactly one of several concurrent appenders with the same expected version wins', async () => {
      await store.append('run/c', [ev()]);
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => store.append('run/c', [ev(`c-${i}`)], { expectedVersion: 1 })),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected.every((r) => isVersionConflict(r.reason))).toBe(true);
      expect(await store.streamVersion('run/c')).toBe(2);
    });

    it('optimistic writers that retry on conflict lose nothing', async () => {
      const writer = async (w: number) => {
        for (let i = 0; i < 5; i++) {
          for (;;) {
            const version = await store.streamVersion('run/o');
            try {
              await store.append('run/o', [ev(`o-${w}-${i}`)], { expectedVersion: version });
              break;
            } catch (e) {
              if (!isVersionConflict(e)) throw e;
            }
          }
        }
      };
      await Promise.all([0, 1, 2, 3, 4, 5].map(writer));
      const events = await store.readStream('run/o');
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(new Set(events.map((e) => e.id)).size).toBe(30);
    });
  });

  describe('idempotent append', () => {
    it('re-appending a batch returns the original positions and writes nothing', async () => {
      const batch = evs('i', 3);
      const first = await store.append('run/i', batch, { expectedVersion: NO_STREAM });
      await store.append('run/j', [ev()]);
      const again = await store.append('run/i', batch, { expectedVersion: NO_STREAM });
      expect(again.deduplicated).toBe(true);
      expect(first.deduplicated).toBe(false);
      expect(again.events).toEqual(first.events);
      expect(again.version).toBe(3);
      expect(await store.lastPosition()).toBe(4);
    });

    it('dedupes a single retried event among later appends', async () => {
      const e = ev('retry-me');
      const first = await store.append('run/k', [e]);
      await store.append('run/k', evs('k', 2));
      const again = await store.append('run/k', [e], { expectedVersion: 1 });
      expect(again.events).toEqual(first.events);
      expect(await store.streamVersion('run/k')).toBe(3);
    });

    it('the same id in another stream is a different event', async () => {
      await store.append('run/p', [ev('same')]);
      const other = await store.append('run/q', [ev('same')]);
      expect(other.deduplicated).toBe(false);
      expect(other.events[0]?.pos).toBe(2);
    });

    it('reads one event by its id in its stream; undefined for another stream or an unknown id', async () => {
      const [stored] = (await store.append('run/r', [ev('named'), ev('other')])).events;
      expect(await store.readEvent('run/r', 'named')).toEqual(stored);
      expect(await store.readEvent('run/s', 'named')).toBeUndefined();
      expect(await store.readEvent('run/r', 'nope')).toBeUndefined();
    });

    it('refuses a batch that partly overlaps the stream or repeats an id, writing nothing', async () => {
      await store.append('run/m', [ev('m1')]);
      expect(await codeOf(store.append('run/m', [ev('m1'), ev('m2')]))).toBe('eventstore_batch_invalid');
      expect(await codeOf(store.append('run/m', [ev('m3'), ev('m3')]))).toBe('eventstore_batch_invalid');
      expect(await store.streamVersion('run/m')).toBe(1);
      expect(await store.lastPosition()).toBe(1);
    });
  });

  describe('onWritten', () => {
    it('is called once with the stored result before the append resolves', async () => {
      const seen: { version: number; ids: string[]; resolved: boolean }[] = [];
      let resolved = false;
      const result = await store.append('run/c', evs('c', 2), {
        expectedVersion: NO_STREAM,
        onWritten: (r) => {
          seen.push({ version: r.version, ids: r.events.map((e) => e.id), resolved });
        },
      });
      resolved = true;
      expect(seen).toEqual([{ version: 2, ids: result.events.map((e) => e.id), resolved: false }]);
      expect(await store.streamVersion('run/c')).toBe(2);
    });

    it('is not called for a refused or a deduplicated batch, and a throw from it is ignored', async () => {
      const calls: string[] = [];
      const onWritten = () => {
        calls.push('called');
        throw new Error('hook failed');
      };
      const batch = evs('d', 2);
      const first = await store.append('run/d', batch, { onWritten });
      expect(first.version).toBe(2);
      expect(calls).toEqual(['called']);
      const again = await store.append('run/d', batch, { onWritten });
      expect(again.deduplicated).toBe(true);
      expect(await codeOf(store.append('run/d', [ev('d9')], { expectedVersion: 0, onWritten }))).toBe(
        'eventstore_version_conflict',
      );
      expect(calls).toEqual(['called']);
    });
  });

  describe('beforeCommit', () => {
    it('is called after onWritten and before the append resolves; once for appends of one turn in one commit', async () => {
      const trace: string[] = [];
      const beforeCommit = () => trace.push('before commit');
      const appends = ['e', 'f'].map((s) =>
        store
          .append(`run/${s}`, evs(s, 1), { onWritten: () => trace.push(`written ${s}`), beforeCommit })
          .then(() => trace.push(`resolved ${s}`)),
      );
      await Promise.all(appends);
      expect(trace.slice(0, 2)).toEqual(['written e', expect.stringMatching(/^(written f|before commit)$/)]);
      expect(trace.slice(-2).sort()).toEqual(['resolved e', 'resolved f']);
      const calls = trace.filter((t) => t === 'before commit').length;
      // LMDB commits both appends together and calls it once; memory has no shared commit.
      expect(calls).toBeGreaterThanOrEqual(1);
      expect(calls).toBeLessThanOrEqual(2);
      expect(trace.indexOf('written f')).toBeLessThan(trace.lastIndexOf('before commit'));
    });

    it('is not called for a refused or a deduplicated batch, and a throw from it is ignored', async () => {
      const calls: string[] = [];
      const beforeCommit = () => {
        calls.push('called');
        throw new Error('hook failed');
      };
      const batch = evs('g', 2);
      expect((await store.append('run/g', batch, { beforeCommit })).version).toBe(2);
      expect(calls).toEqual(['called']);
      expect((await store.append('run/g', batch, { beforeCommit })).deduplicated).toBe(true);
      expect(await codeOf(store.append('run/g', [ev('g9')], { expectedVersion: 0, beforeCommit }))).toBe(
        'eventstore_version_conflict',
      );
      expect(calls).toEqual(['called']);
    });
  });

  describe('validation at append', () => {
    it('refuses unknown types and invalid data, and writes nothing of the batch', async () => {
      const unknown = { ...ev(), type: 'run.exploded' as never };
      const invalid = { ...ev(), data: { timerId: 42 } };
      expect(await codeOf(store.append('run/x', [ev(), unknown]))).toBe('event_type_unknown');
      expect(await codeOf(store.append('run/x', [ev(), invalid]))).toBe('event_data_invalid');
      expect(await codeOf(store.append('run/x', [ev('no-producer', { meta: {} as never })]))).toBe(
        'event_data_invalid',
      );
      expect(await codeOf(store.append('run/x', [ev('bad id with spaces')]))).toBe('id_invalid');
      expect(await store.streamVersion('run/x')).toBe(0);
      expect(await store.lastPosition()).toBe(0);
      expect(await store.listStreams()).toEqual([]);
    });

    it('keeps data the catalog validated, and checks again what it validated for another type', async () => {
      const checked = validateEventData('timer.fired', { timerId: 't', firedAt: 5 });
      const kept = await store.append('run/v', [{ ...ev('v1'), type: 'timer.fired', data: checked }]);
      expect(kept.events[0]?.data).toEqual({ timerId: 't', firedAt: 5 });
      const otherType = validateEventData('timer.cancelled', { timerId: 't' });
      const asFired = { ...ev('v2'), type: 'timer.fired' as const, data: otherType };
      expect(await codeOf(store.append('run/v', [asFired]))).toBe('event_data_invalid');
      const lookalike = { ...checked, firedAt: 'soon' };
      const forged = { ...ev('v3'), type: 'timer.fired' as const, data: lookalike };
      expect(await codeOf(store.append('run/v', [forged]))).toBe('event_data_invalid');
      expect(await store.streamVersion('run/v')).toBe(1);
    });
  });

  describe('reads during writes', () => {
    it('every read sees a contiguous prefix of the log and of each stream', async () => {
      const writers = [0, 1, 2, 3].map(async (w) => {
        for (let i = 0; i < 15; i++) await store.append(`run/w${w % 2}`, evs(`rw-${w}-${i}`, 2));
      });
      let reading = true;
      const reader = (async () => {
        let reads = 0;
        while (reading || reads === 0) {
          expectContiguous(await store.readAll());
          const s = await store.readStream('run/w0');
          s.forEach((e, i) => {
            expect(e.seq).toBe(i + 1);
          });
          reads++;
          await new Promise((r) => setImmediate(r));
        }
        return reads;
      })();
      await Promise.all(writers);
      reading = false;
      expect(await reader).toBeGreaterThan(0);
      expect(await store.lastPosition()).toBe(120);
    });
  });

  describe('subscribe', () => {
    it('catches up, then goes live under concurrent appends: no gap, no duplicate', async () => {
      for (let i = 0; i < 10; i++) await store.append(`run/pre${i % 3}`, evs(`pre-${i}`, 3));
      const seen: number[] = [];
      const sub = store.subscribe({ fromPos: 1 }, (e) => {
        seen.push(e.pos);
      });
      const writers = [0, 1, 2, 3, 4].map(async (w) => {
        for (let i = 0; i < 12; i++) {
          await store.append(`run/live${w}`, evs(`live-${w}-${i}`, 1 + (i % 3)));
        }
      });
      await Promise.all(writers);
      const total = await store.lastPosition();
      await until(() => seen.length >= total);
      await sub.close();
      expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(sub.position).toBe(total);
    });

    it('starts at fromPos, or at the end, and applies the filter', async () => {
      await store.append('run/a', evs('fa', 3));
      await store.append('run/b', evs('fb', 2));
      const fromThree: number[] = [];
      const onlyB: number[] = [];
      const fromEnd: number[] = [];
      const s1 = store.subscribe({ fromPos: 3 }, (e) => void fromThree.push(e.pos));
      const s2 = store.subscribe({ filter: (e) => e.stream === 'run/b' }, (e) => void onlyB.push(e.pos));
      const s3 = store.subscribe({ fromPos: 'end' }, (e) => void fromEnd.push(e.pos));
      await store.append('run/b', evs('fc', 1));
      await until(() => fromThree.length === 4 && onlyB.length === 3 && fromEnd.length === 1);
      await Promise.all([s1.close(), s2.close(), s3.close()]);
      expect(fromThree).toEqual([3, 4, 5, 6]);
      expect(onlyB).toEqual([4, 5, 6]);
      expect(fromEnd).toEqual([6]);
      expect(s2.position).toBe(6);
    });

    it('delivers only events of the given types, then applies the filter; positions pass the rest', async () => {
      const rejected = (id: string, subject: string) => ({
        ...ev(id),
        type: 'message.rejected' as const,
        data: { subject, reason: 'r' },
      });
      // A timer event whose data names the wanted type: its bytes hold the name, it is not one.
      await store.append('run/a', [ev('t1'), ev('message.rejected'), rejected('m1', 'keep')]);
      await store.append('run/b', [rejected('m2', 'drop'), ev('t2'), rejected('m3', 'keep')]);
      const seen: string[] = [];
      const sub = store.subscribe(
        {
          types: new Set(['message.rejected']),
          filter: (e) => (e.data as { subject: string }).subject === 'keep',
        },
        (e) => void seen.push(e.id),
      );
      await until(() => sub.position === 6);
      await store.append('run/c', [ev('t3'), rejected('m4', 'keep')]);
      await until(() => sub.position === 8);
      await sub.close();
      expect(seen).toEqual(['m1', 'm3', 'm4']);
    });

    it('delivers nothing after close, and ends when the handler throws', async () => {
      const seen: number[] = [];
      const sub = store.subscribe({}, (e) => void seen.push(e.pos));
      await store.append('run/a', [ev()]);
      await until(() => seen.length === 1);
      await sub.close();
      await store.append('run/a', [ev()]);
      await new Promise((r) => setTimeout(r, 30));
      expect(seen).toEqual([1]);
      await sub.done;

      const failing = store.subscribe({}, (e) => {
        if (e.pos === 2) throw new Error('boom');
      });
      const err = await failing.done.catch((e: unknown) => e);
      expect(hasErrorCode(err, 'internal_error')).toBe(true);
      expect(failing.position).toBe(1);
    });

    it('waits for an async handler before the next event', async () => {
      await store.append('run/a', evs('async', 4));
      const order: string[] = [];
      const sub = store.subscribe({}, async (e) => {
        order.push(`start ${e.pos}`);
        await new Promise((r) => setTimeout(r, 1));
        order.push(`end ${e.pos}`);
      });
      await until(() => order.length === 8);
      await sub.close();
      expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3', 'start 4', 'end 4']);
    });
  });

  describe('snapshots', () => {
    it('loads the latest snapshot and the events after it', async () => {
      await store.append('run/s', evs('s', 6));
      expect(await store.loadLatestSnapshot('run/s')).toBeUndefined();
      await store.saveSnapshot('run/s', 2, { count: 2 });
      await store.saveSnapshot('run/s', 4, { count: 4, ids: ['a'] });
      await store.saveSnapshot('run/other', 9, { count: 9 });
      expect(await store.loadLatestSnapshot('run/s')).toEqual({
        stream: 'run/s',
        seq: 4,
        state: { count: 4, ids: ['a'] },
      });
      const { snapshot, events } = await loadSnapshotAndTail<{ count: number }>(store, 'run/s');
      expect(snapshot?.seq).toBe(4);
      expect(events.map((e) => e.seq)).toEqual([5, 6]);
      const folded = await foldStream(
        store,
        'run/s',
        (s: { count: number }) => ({ ...s, count: s.count + 1 }),
        {
          count: 0,
        },
      );
      expect(folded).toEqual({ state: { count: 6, ids: ['a'] }, seq: 6 });
    });
  });

  describe('close', () => {
    it('refuses use after close with eventstore_unavailable and ends subscriptions', async () => {
      const sub = store.subscribe({}, () => {});
      await store.close();
      await sub.done;
      expect(await codeOf(store.append('run/a', [ev()]))).toBe('eventstore_unavailable');
      expect(await codeOf(store.readAll())).toBe('eventstore_unavailable');
      await store.close();
    });
  });
});
