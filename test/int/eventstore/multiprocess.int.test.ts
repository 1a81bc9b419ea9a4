import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { validateEventData } from '../../../src/contracts/events/catalog.js';
import type { StoredEvent } from '../../../src/contracts/events/envelope.js';
import { createLmdbArtifactIndex } from '../../../src/eventstore/fs-artifact-store.js';
import { openLilyLmdb } from '../../../src/eventstore/lmdb-env.js';
import { openLmdbEventStore } from '../../../src/eventstore/lmdb-event-store.js';
import { lmdbVersionedRecords } from '../../../src/eventstore/versioned-records.js';
import { tempDir } from '../../helpers/eventstore.js';

const CHILD = join(fileURLToPath(new URL('.', import.meta.url)), 'append-child.ts');
const RECORD_CHILD = join(fileURLToPath(new URL('.', import.meta.url)), 'record-child.ts');

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
  it('4 processes appending to shared and own streams: no gap, no duplicate, consistent order', async () => {
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
  });

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

  it('a read sees what another process appended after this process last read, even within the same turn', async () => {
    const { dir, cleanup } = tempDir('mp-fresh');
    cleanups.push(cleanup);
    const db = join(dir, 'db');
    const store = openLmdbEventStore({ path: db });
    try {
      // Each read below runs right after the one before, with no timer of this process in between
      // (the child runs synchronously): nothing but the store itself can drop an old snapshot.
      const append = (worker: string, n: number) =>
        execFileSync(process.execPath, ['--import', 'tsx', CHILD, db, worker, 'one', String(n)], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
      expect(await store.readStream('run/f1')).toEqual([]);
      append('f1', 2);
      expect((await store.readStream('run/f1')).map((e) => e.id)).toEqual(['f1-0', 'f1-1']);
      append('f2', 1);
      expect(await store.lastPosition()).toBe(3);
      append('f3', 1);
      expect(await store.streamVersion('run/f3')).toBe(1);
      append('f4', 1);
      expect((await store.readEvent('run/f4', 'f4-0'))?.pos).toBe(5);
      append('f5', 1);
      expect((await store.readAll({ fromPos: 5 })).map((e) => e.id)).toEqual(['f4-0', 'f5-0']);
      append('f6', 1);
      expect(await store.listStreams('run/f6')).toEqual(['run/f6']);
    } finally {
      await store.close();
    }
  });

  it('the record tables and the artifact index read fresh too, within the same turn', async () => {
    const { dir, cleanup } = tempDir('mp-fresh-records');
    cleanups.push(cleanup);
    const db = join(dir, 'db');
    const root = openLilyLmdb(db);
    const records = lmdbVersionedRecords<string>(root, 'dispatch-claims');
    const index = createLmdbArtifactIndex(root, false);
    const write = (what: 'record' | 'artifact', key: string) =>
      execFileSync(process.execPath, ['--import', 'tsx', RECORD_CHILD, db, what, key], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    const sha = (c: string) => c.repeat(64);
    try {
      expect(await records.get('d1')).toBeUndefined();
      write('record', 'd1');
      expect((await records.get('d1'))?.revision).toBe(1);
      expect(await index.get(sha('a'), 'out')).toBeUndefined();
      write('artifact', sha('a'));
      expect((await index.get(sha('a'), 'out'))?.runId).toBe(`run-${sha('a')}`);
      write('artifact', sha('b'));
      expect((await index.bySha(sha('b'))).length).toBe(1);
      write('artifact', sha('c'));
      expect((await index.byRun(`run-${sha('c')}`)).length).toBe(1);
      write('artifact', sha('d'));
      expect((await index.all()).length).toBe(4);
    } finally {
      await root.close();
    }
  });
});
