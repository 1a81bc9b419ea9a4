/**
 * Child process for the multi-process and crash tests. Run as
 * `node --import tsx append-child.ts <dbPath> <worker> <mode> <count>`.
 * Every acknowledged append is printed as one JSON line on stdout, after `append` resolved.
 *   mode `multi`: <count> rounds, each appending to a shared stream, to the worker's own stream,
 *                 and to a counter stream with an optimistic expected version (retry on conflict).
 *   mode `crash`: appends one-event batches to `run/crash` forever (the parent kills it).
 *   mode `one`:   appends the event `<worker>-<count>` to `run/<worker>`, and exits.
 */
import type { NewEvent } from '../../../src/contracts/events/envelope.js';
import { isVersionConflict } from '../../../src/eventstore/event-store.js';
import { openLmdbEventStore } from '../../../src/eventstore/lmdb-event-store.js';

const [dbPath, worker, mode, countText] = process.argv.slice(2);
if (!dbPath || !worker || !mode) throw new Error('usage: append-child <db> <worker> <mode> <count>');
const count = Number(countText ?? '0');
const store = openLmdbEventStore({ path: dbPath });

const event = (id: string): NewEvent => ({
  id,
  type: 'timer.cancelled',
  at: 0,
  data: { timerId: id },
  meta: { producer: `child-${worker}` },
});

const ack = (stream: string, events: { id: string; seq: number; pos: number }[]) => {
  process.stdout.write(
    `${JSON.stringify({ stream, events: events.map(({ id, seq, pos }) => ({ id, seq, pos })) })}\n`,
  );
};

const appendCounter = async (id: string) => {
  for (;;) {
    const version = await store.streamVersion('run/counter');
    try {
      const r = await store.append('run/counter', [event(id)], { expectedVersion: version });
      ack('run/counter', r.events);
      return;
    } catch (e) {
      if (!isVersionConflict(e)) throw e;
    }
  }
};

const multi = async () => {
  for (let i = 0; i < count; i++) {
    const shared = [event(`${worker}-s${i}a`), event(`${worker}-s${i}b`)].slice(0, 1 + (i % 2));
    const [a, b] = await Promise.all([
      store.append('run/shared', shared),
      store.append(`run/own-${worker}`, [event(`${worker}-o${i}`)]),
      appendCounter(`${worker}-c${i}`),
    ]);
    ack('run/shared', a.events);
    ack(`run/own-${worker}`, b.events);
  }
};

const crash = async () => {
  for (let i = 1; ; i++) {
    const r = await store.append('run/crash', [event(`crash-${i}`)]);
    ack('run/crash', r.events);
  }
};

const one = async () => {
  const r = await store.append(`run/${worker}`, [event(`${worker}-${count}`)]);
  ack(`run/${worker}`, r.events);
};

await (mode === 'crash' ? crash() : mode === 'one' ? one() : multi());
await store.close();
process.stdout.write('done\n');
