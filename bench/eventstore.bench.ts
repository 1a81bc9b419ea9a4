/**
 * Event store benchmark: durable appends (one at a time, concurrent, batched) next to raw LMDB
 * puts measured in the same run, subscription lag, and replay / receipt rebuild throughput.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewEvent } from '../src/contracts/events/envelope.js';
import { openLilyLmdb, openNamedDb } from '../src/eventstore/lmdb-env.js';
import { openLmdbEventStore } from '../src/eventstore/lmdb-event-store.js';
import { projectReceipt } from '../src/eventstore/projections/receipt.js';
import { storedSample } from '../test/helpers/eventstore-runs.js';

export const name = 'eventstore';

const ev = (id: string): NewEvent => ({
  id,
  type: 'timer.cancelled',
  at: 0,
  data: { timerId: id },
  meta: { producer: 'bench' },
});
const payload = {
  id: 'x',
  type: 'timer.cancelled',
  at: 0,
  data: { timerId: 'x' },
  meta: { producer: 'bench' },
};

const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000);
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

const time = async (fn: () => Promise<void>): Promise<number> => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

const rawLmdb = async (dir: string) => {
  const root = openLilyLmdb(join(dir, 'raw'));
  const db = openNamedDb<unknown, number>(root, 'raw');
  let key = 0;
  const serial = 300;
  const serialMs = await time(async () => {
    for (let i = 0; i < serial; i++) {
      await db.put(++key, payload);
      await root.flushed;
    }
  });
  const batch = 20_000;
  const batchedCommitMs = await time(async () => {
    let last: Promise<boolean> = Promise.resolve(true);
    for (let i = 0; i < batch; i++) last = db.put(++key, payload);
    await last;
  });
  const batchedFlushMs = await time(async () => {
    for (let i = 0; i < batch; i++) db.put(++key, payload);
    await root.flushed;
  });
  await root.close();
  return {
    putsPerSecOneAtATimeFlushed: perSecond(serial, serialMs),
    putsPerSecBatchedCommitted: perSecond(batch, batchedCommitMs),
    putsPerSecBatchedFlushed: perSecond(batch, batchedFlushMs),
  };
};

const appends = async (dir: string) => {
  const store = openLmdbEventStore({ path: join(dir, 'es') });
  const serial = 300;
  const serialMs = await time(async () => {
    for (let i = 0; i < serial; i++) await store.append(`run/s${i % 10}`, [ev(`s-${i}`)]);
  });
  const concurrent = 5_000;
  const concurrentMs = await time(async () => {
    const inFlight = 64;
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        for (let i = next++; i < concurrent; i = next++)
          await store.append(`run/c${i % inFlight}`, [ev(`c-${i}`)]);
      }),
    );
  });
  const batches = 1_000;
  const batchSize = 20;
  const batchedMs = await time(async () => {
    await Promise.all(
      Array.from({ length: batches }, (_, b) =>
        store.append(
          `run/b${b}`,
          Array.from({ length: batchSize }, (_, i) => ev(`b-${b}-${i}`)),
        ),
      ),
    );
  });
  const total = await store.lastPosition();
  const readPass = () =>
    time(async () => {
      for (let pos = 1; pos <= total; pos += 5000) await store.readAll({ fromPos: pos, limit: 5000 });
    });
  const coldReadMs = await readPass();
  const readMs = await readPass();
  await store.close();
  return {
    appendsPerSecOneAtATimeDurable: perSecond(serial, serialMs),
    appendsPerSec64InFlightDurable: perSecond(concurrent, concurrentMs),
    eventsPerSecBatched20Durable: perSecond(batches * batchSize, batchedMs),
    readAllEventsPerSecCold: perSecond(total, coldReadMs),
    readAllEventsPerSec: perSecond(total, readMs),
  };
};

const subscriptionLag = async (dir: string) => {
  const store = openLmdbEventStore({ path: join(dir, 'lag') });
  const sent = new Map<string, number>();
  const lags: number[] = [];
  const sub = store.subscribe({ fromPos: 'end' }, (e) => {
    const t = sent.get(e.id);
    if (t !== undefined) lags.push(performance.now() - t);
  });
  for (let i = 0; i < 300; i++) {
    sent.set(`l-${i}`, performance.now());
    await store.append('run/lag', [ev(`l-${i}`)]);
  }
  while (lags.length < 300) await new Promise((r) => setTimeout(r, 1));
  await sub.close();
  await store.close();
  lags.sort((a, b) => a - b);
  return { p50Ms: round(pct(lags, 0.5)), p99Ms: round(pct(lags, 0.99)) };
};

const receiptRebuild = () => {
  const base = storedSample('failed');
  const events = Array.from({ length: 500 }, () => base).flat();
  const rounds = 20;
  const t = performance.now();
  for (let i = 0; i < rounds; i++) projectReceipt(events);
  return { eventsPerSec: perSecond(events.length * rounds, performance.now() - t) };
};

export const run = async (): Promise<Record<string, unknown>> => {
  const dir = mkdtempSync(join(tmpdir(), 'lily-bench-es-'));
  try {
    const raw = await rawLmdb(dir);
    const store = await appends(dir);
    return {
      rawLmdb: raw,
      eventStore: store,
      ratios: {
        oneAtATimeVsRawFlushedPut: round(
          store.appendsPerSecOneAtATimeDurable / raw.putsPerSecOneAtATimeFlushed,
        ),
        batchedEventsVsRawBatchedFlushedPuts: round(
          store.eventsPerSecBatched20Durable / raw.putsPerSecBatchedFlushed,
        ),
        inFlight64VsRawBatchedFlushedPuts: round(
          store.appendsPerSec64InFlightDurable / raw.putsPerSecBatchedFlushed,
        ),
      },
      subscriptionLagInProcess: await subscriptionLag(dir),
      receiptRebuild: { ...receiptRebuild(), target: 100_000 },
      notes:
        'raw puts write one msgpack value per key; an append writes 3 keys per event plus the stream head and ' +
        'global position, validates with zod, and waits for the fsync. Other processes see appends within pollIntervalMs (20 ms default).',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
