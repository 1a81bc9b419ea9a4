import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { followStream } from '../../../src/client/runs/follow.js';
import { validateEventData } from '../../../src/contracts/events/catalog.js';
import type { StoredEvent } from '../../../src/contracts/events/envelope.js';
import { openLmdbEventStore } from '../../../src/eventstore/lmdb-event-store.js';
import { tempDir } from '../../helpers/eventstore.js';
import { manualWake } from '../../helpers/manual-wake.js';

const CHILD = join(fileURLToPath(new URL('.', import.meta.url)), 'append-child.ts');

interface Ack {
  stream: string;
  events: { id: string; seq: number; pos: number }[];
}

interface Child {
  proc: ChildProcess;
  acks: Ack[];
  exited: Promise<Exit>;
}

/** How a child ended; `done` once it printed that its store closed (a crash after it is at exit). */
interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  acks: number;
  done: boolean;
}

const children: ChildProcess[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const c of cleanups.splice(0)) c();
});

const startChild = (
  db: string,
  worker: string,
  mode: string,
  count: number,
  onAck?: (a: Ack) => void,
): Child => {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, db, worker, mode, String(count)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  const acks: Ack[] = [];
  let buffer = '';
  let stderr = '';
  let done = false;
  proc.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === 'done') done = true;
      if (!line.startsWith('{')) continue;
      const a = JSON.parse(line) as Ack;
      acks.push(a);
      onAck?.(a);
    }
  });
  proc.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<Exit>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal, stderr, acks: acks.length, done })),
  );
  return { proc, acks, exited };
};

const readEverything = async (db: string): Promise<StoredEvent[]> => {
  const store = openLmdbEventStore({ path: db });
  try {
    return await store.readAll();
  } finally {
    await store.close();
  }
};

describe('LMDB event store shared by several processes', () => {
  // Before decision 037 about one run in twenty lost a whole acknowledged transaction here; three
  // fresh environments per test run give the writers three chances to race.
  it.each([1, 2, 3])(
    '4 processes appending to shared and own streams (run %i): no gap, no duplicate, no acknowledged append lost',
    async () => {
      const { dir, cleanup } = tempDir('mp');
      cleanups.push(cleanup);
      const db = join(dir, 'db');
      const workers = ['w1', 'w2', 'w3', 'w4'];
      const rounds = 40;
      const kids = workers.map((w) => startChild(db, w, 'multi', rounds));
      const exits = await Promise.all(kids.map((k) => k.exited));
      for (const e of exits) expect(e, JSON.stringify(e)).toMatchObject({ code: 0 });

      const all = await readEverything(db);
      expect(all.map((e) => e.pos)).toEqual(all.map((_, i) => i + 1));
      expect(new Set(all.map((e) => `${e.stream}|${e.id}`)).size).toBe(all.length);

      const byStream = new Map<string, StoredEvent[]>();
      for (const e of all) byStream.set(e.stream, [...(byStream.get(e.stream) ?? []), e]);
      for (const [, events] of byStream) {
        expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      }
      expect(byStream.get('run/counter')).toHaveLength(workers.length * rounds);
      for (const w of workers) expect(byStream.get(`run/own-${w}`)).toHaveLength(rounds);

      const stored = new Map(all.map((e) => [`${e.stream}|${e.id}`, e]));
      const acked = kids.flatMap((k) =>
        k.acks.flatMap((a) => a.events.map((e) => ({ ...e, stream: a.stream }))),
      );
      expect(acked).toHaveLength(all.length);
      for (const a of acked)
        expect(stored.get(`${a.stream}|${a.id}`)).toMatchObject({ seq: a.seq, pos: a.pos });
    },
  );

  it('a writer killed with SIGKILL: every acknowledged append survives, the log is a prefix, nothing torn', async () => {
    const { dir, cleanup } = tempDir('crash');
    cleanups.push(cleanup);
    const db = join(dir, 'db');
    let kill = () => {};
    const enough = new Promise<void>((resolve) => {
      kill = resolve;
    });
    const child = startChild(db, 'c', 'crash', 0, (a) => {
      if ((a.events[0]?.seq ?? 0) >= 150) kill();
    });
    await Promise.race([enough, child.exited]);
    child.proc.kill('SIGKILL');
    const exit = await child.exited;
    expect(exit.signal, exit.stderr).toBe('SIGKILL');

    const acked = child.acks.flatMap((a) => a.events);
    expect(acked.length).toBeGreaterThanOrEqual(150);
    const events = await readEverything(db);
    expect(events.length).toBeGreaterThanOrEqual(acked.length);
    events.forEach((e, i) => {
      expect(e).toMatchObject({ stream: 'run/crash', id: `crash-${i + 1}`, seq: i + 1, pos: i + 1 });
      expect(() => validateEventData(e.type, e.data)).not.toThrow();
    });
    acked.forEach((a, i) => {
      expect(events[i]).toMatchObject(a);
    });

    const reopened = openLmdbEventStore({ path: db });
    try {
      const next = await reopened.append('run/crash', [
        { id: 'after', type: 'timer.cancelled', at: 0, data: { timerId: 'x' }, meta: { producer: 't' } },
      ]);
      expect(next.events[0]).toMatchObject({ seq: events.length + 1, pos: events.length + 1 });
    } finally {
      await reopened.close();
    }
  });

  it('a subscriber in this process sees appends made by other processes, live', async () => {
    const { dir, cleanup } = tempDir('mp-sub');
    cleanups.push(cleanup);
    const db = join(dir, 'db');
    const store = openLmdbEventStore({ path: db, pollIntervalMs: 5 });
    const seen: number[] = [];
    const sub = store.subscribe({}, (e) => {
      seen.push(e.pos);
    });
    try {
      const kids = ['s1', 's2'].map((w) => startChild(db, w, 'multi', 10));
      for (const e of await Promise.all(kids.map((k) => k.exited)))
        expect(e, e.stderr).toMatchObject({ code: 0 });
      const total = kids.reduce((n, k) => n + k.acks.reduce((m, a) => m + a.events.length, 0), 0);
      for (let i = 0; i < 10_000 && seen.length < total; i++) await new Promise((r) => setTimeout(r, 2));
      expect(seen).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    } finally {
      await sub.close();
      await store.close();
    }
  });

  it('a follower woken right after its last read sees what another process appended meanwhile', async () => {
    const { dir, cleanup } = tempDir('mp-follow');
    cleanups.push(cleanup);
    const db = join(dir, 'db');
    const store = openLmdbEventStore({ path: db });
    // The child runs synchronously: from the follower's read to its wake-up, no timer of this
    // process runs (lmdb-js drops its read snapshot only on one).
    const append = (index: number) =>
      execFileSync(process.execPath, ['--import', 'tsx', CHILD, db, 'f', 'one', String(index)], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    const { wake, ring } = manualWake();
    const follow = followStream(store, 'run/f', { wake });
    try {
      append(0);
      expect((await follow.next()).value?.id).toBe('f-0');
      const next = follow.next(); // reads (nothing new yet), then waits for a wake-up
      append(1);
      ring(); // what NATS does when the append is announced
      const seen = await Promise.race([
        next.then((r) => r.value?.id),
        new Promise((r) =>
          setTimeout(() => r('nothing within 5 s: the follower read an old snapshot'), 5_000),
        ),
      ]);
      expect(seen).toBe('f-1');
    } finally {
      ring();
      await follow.return(undefined);
      await store.close();
    }
  }, 20_000);
});
