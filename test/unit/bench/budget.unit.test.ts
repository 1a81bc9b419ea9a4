import { describe, expect, it } from 'vitest';
import { analyzeBudget, chainOf, workerDispatchTimes } from '../../../bench/budget/analyze.js';
import { categorize, summarizeProfile } from '../../../bench/budget/profile-summary.js';
import type { Point } from '../../../bench/budget/timeline.js';

const RUN = '01HZX3K9V1M2N3P4Q5R6S7T8V9';
const p = (t: number, point: string, key = ''): Point => ({ t, point, key });
const append = (t: number, stream: string): Point[] => [
  p(t, 'append.start', stream),
  p(t + 0.1, 'append.validated', stream),
  p(t + 0.2, 'append.txn', stream),
  p(t + 0.3, 'append.written', stream),
  p(t + 1.3, 'lmdb.committed', 'append'),
  p(t + 1.4, 'append.end', stream),
];

/** One run: request, the scheduler's append, the in-engine hop, one step, completion. */
const engine: Point[] = [
  p(0, 'client.send'),
  p(0.5, 'bus.recv', 'lily.default.cmd.sched'),
  ...append(1, `run/${RUN}`),
  p(2.6, 'bus.pub', `lily.default.evt.w3.${RUN}.run.requested`), // off the chain
  p(2.7, 'bus.pub', `lily.default.in.${RUN}`),
  p(3, 'bus.recv', `lily.default.in.${RUN}`),
  ...append(4, `run/${RUN}`),
  p(5.6, 'bus.pub', 'lily.default.cmd.exec.echo'),
  p(6.1, 'bus.recv', 'lily.default.evt.w3.x.run.completed'), // another subscriber: off the chain
  p(7.6, 'bus.recv', `lily.default.in.${RUN}`),
  ...append(8, `run/${RUN}`),
  p(9.6, 'bus.pub', `lily.default.evt.w3.${RUN}.run.completed`),
  p(10, 'client.completed', RUN),
  p(10.5, 'projector.start', `run/${RUN}`),
  p(13.5, 'projector.done', `run/${RUN}`),
];
const worker: Point[] = [
  p(100, 'bus.recv', 'lily.default.cmd.exec.echo'),
  p(100.8, 'bus.pub', `lily.default.in.${RUN}`),
];

describe('latency budget analysis', () => {
  it('chains a run from request to completion, leaving off-chain points out', () => {
    const kinds = chainOf(engine, { runId: RUN, t0: 0, t1: 10 }).map((l) => l.kind);
    expect(kinds.filter((k) => k === 'append.end')).toHaveLength(3);
    expect(kinds[0]).toBe('client.send');
    expect(kinds.at(-1)).toBe('client.completed');
    expect(kinds).not.toContain(undefined);
  });

  it('adds the segments up to the latency and splits a dispatch into worker time and NATS hops', () => {
    const b = analyzeBudget(engine, worker, [{ runId: RUN, t0: 0, t1: 10 }]);
    expect(b.coverage).toBe(1);
    expect(b.appendsPerRun).toBe(3);
    expect(b.workerMatched).toBe(true);
    const ms = (name: string) => b.segments.find((s) => s.name === name)?.p50Ms;
    expect(ms('worker: receive, execute, reply')).toBeCloseTo(0.8);
    expect(ms('dispatch: NATS hops to the worker and back')).toBeCloseTo(1.2);
    expect(ms('append: commit and fsync (write thread)')).toBeCloseTo(3);
    expect(ms('request: client → engine (NATS)')).toBeCloseTo(0.5);
    expect(ms('scheduler → run host (NATS, in-engine hop)')).toBeCloseTo(0.3);
    expect(ms('completion → client (NATS)')).toBeCloseTo(0.4);
    expect(b.segments.every((s) => !s.name.startsWith('other'))).toBe(true);
    const sum = b.segments.reduce((a, s) => a + s.meanMs, 0);
    expect(sum).toBeCloseTo(10);
    expect(b.projector.p50Ms).toBeCloseTo(3);
  });

  it('follows a dispatch published before its append is flushed, and the flush only for what is left', () => {
    const step = (t: number, flushMs: number): Point[] => [
      p(t, 'append.start', `run/${RUN}`),
      p(t + 0.1, 'append.validated', `run/${RUN}`),
      p(t + 0.2, 'append.txn', `run/${RUN}`),
      p(t + 0.3, 'append.written', `run/${RUN}`),
      p(t + 0.4, 'bus.pub', 'lily.default.cmd.exec.echo'),
      p(t + 0.3 + flushMs, 'lmdb.committed', 'append'),
      p(t + 0.3 + flushMs, 'append.end', `run/${RUN}`),
    ];
    const points: Point[] = [
      p(0, 'client.send'),
      p(0.5, 'bus.recv', 'lily.default.cmd.sched'),
      ...append(1, `run/${RUN}`),
      p(2.5, 'bus.pub', 'lily.default.cmd.exec.echo'),
      p(3.5, 'bus.recv', `lily.default.in.${RUN}`),
      // The answer comes back (at 5.4) before the flush ends (5.6).
      ...step(4, 1.3),
      p(5.4, 'bus.recv', `lily.default.in.${RUN}`),
      // The flush ends (at 6.5) before the answer (at 7.2).
      ...step(6, 0.5),
      p(7.2, 'bus.recv', `lily.default.in.${RUN}`),
      ...append(8, `run/${RUN}`),
      p(9.6, 'bus.pub', `lily.default.evt.w3.${RUN}.run.completed`),
      p(10, 'client.completed', RUN),
    ].sort((a, b) => a.t - b.t);
    const w: Point[] = [0, 10, 20].flatMap((t) => [
      p(t, 'bus.recv', 'lily.default.cmd.exec.echo'),
      p(t + 0.5, 'bus.pub', `lily.default.in.${RUN}`),
    ]);
    const b = analyzeBudget(points, w, [{ runId: RUN, t0: 0, t1: 10 }]);
    expect(b.coverage).toBe(1);
    const ms = (name: string) => b.segments.find((s) => s.name === name)?.meanMs;
    expect(ms('outbox: dispatch before the flush')).toBeCloseTo(0.2);
    expect(ms('append: commit and fsync left once the answer is back (overlapped)')).toBeCloseTo(0.2);
    expect(ms('worker: receive, execute, reply')).toBeCloseTo(1.5);
    // Of the second dispatch's round trip (6.4 to 7.2), the engine committed until 6.8.
    expect(b.tail.committingInDispatches.slowMeanMs).toBeCloseTo(0.4);
    expect(b.segments.every((s) => !s.name.startsWith('other'))).toBe(true);
    expect(b.segments.reduce((a, s) => a + s.meanMs, 0)).toBeCloseTo(10);
  });

  it('sets the slowest runs beside the typical ones, segment by segment, with the GC inside them', () => {
    // 20 runs of the one above, 100 ms apart; the last one's completion reaches the client 5 ms late.
    const ids = Array.from({ length: 20 }, (_, i) => `${RUN.slice(0, -2)}${String(i).padStart(2, '0')}`);
    const at = (base: number, id: string, late: number): Point[] =>
      engine.map((x) => ({
        ...x,
        t: x.t + base + (x.point === 'client.completed' ? late : 0),
        key: x.key.replace(RUN, id),
      }));
    const points = ids.flatMap((id, i) => at(100 * i, id, i === 19 ? 5 : 0));
    const workerPoints = ids.flatMap((_, i) => worker.map((x) => ({ ...x, t: x.t + 100 * i })));
    const windows = ids.map((runId, i) => ({ runId, t0: 100 * i, t1: 100 * i + (i === 19 ? 15 : 10) }));
    // A 2 ms pause inside the slow run, one straddling the start of run 0 (half inside).
    const gc = [
      { start: 1910, ms: 2 },
      { start: -1, ms: 2 },
    ];
    const { tail } = analyzeBudget(points, workerPoints, windows, gc);
    expect(tail.slowRuns).toBe(1);
    expect(tail.fromMs).toBeCloseTo(15);
    expect(tail.slowMeanMs).toBeCloseTo(15);
    expect(tail.typicalMeanMs).toBeCloseTo(10);
    expect(tail.segments[0]).toMatchObject({ name: 'completion → client (NATS)' });
    expect(tail.segments[0]?.excessMs).toBeCloseTo(5);
    expect(tail.segments[0]?.typicalMeanMs).toBeCloseTo(0.4);
    expect(tail.segments.slice(1).every((x) => Math.abs(x.excessMs) < 1e-9)).toBe(true);
    expect(tail.gc?.slowMeanMs).toBeCloseTo(2);
    // The 19 other runs are at the median: one of them had 1 ms of the straddling pause.
    expect(tail.gc?.typicalMeanMs).toBeCloseTo(1 / 19);
  });

  it('times each dispatch in the worker to its first reply', () => {
    expect(workerDispatchTimes(worker)).toEqual([expect.closeTo(0.8)]);
    const lost = workerDispatchTimes([
      p(0, 'bus.recv', 'x.cmd.exec.echo'),
      p(1, 'bus.recv', 'x.cmd.exec.echo'),
    ]);
    expect(lost.every(Number.isNaN)).toBe(true);
  });
});

describe('CPU profile summary', () => {
  it('puts frames in packages and Lily directories', () => {
    const at = (url: string, functionName = 'f') => categorize({ url, functionName, lineNumber: 0 });
    expect(at('file:///x/node_modules/@nats-io/nats-core/lib/core.js').category).toBe('nats');
    expect(at('file:///x/node_modules/msgpackr/pack.js').category).toBe('lmdb/msgpackr');
    expect(at('file:///x/node_modules/zod/v4/core/schemas.js').category).toBe('zod');
    expect(at('file:///repo/dist/actors/bus/codec.js')).toEqual({ category: 'lily', lilyDir: 'actors/bus' });
    expect(at('file:///repo/dist/index.js')).toEqual({ category: 'lily', lilyDir: 'index' });
    expect(at('', '(garbage collector)').category).toBe('GC');
    expect(at('node:internal/fs/promises').category).toBe('node internals');
  });

  it('counts native and Node-internal time for the package that called it', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
    const summary = summarizeProfile({
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 4] },
        {
          id: 2,
          callFrame: frame('writeBatch', 'file:///r/dist/eventstore/lmdb-event-store.js'),
          children: [3],
        },
        { id: 3, callFrame: frame('', '') },
        { id: 4, callFrame: frame('(idle)', '') },
      ],
      samples: [3, 3, 4, 4],
      timeDeltas: [0, 1000, 1000, 1000],
      startTime: 0,
      endTime: 4000,
    });
    expect(summary.byCategory.find((c) => c.name === 'lily')?.ms).toBe(2);
    expect(summary.byLeaf.find((c) => c.name === 'V8/native builtins')?.ms).toBe(2);
    expect(summary.busyMs).toBe(2);
    expect(summary.topFunctions[0]?.name).toBe('(native, from writeBatch)');
  });
});
