import { describe, expect, it } from 'vitest';
import { cronRunId } from '../../../src/actors/scheduler/cron-loop.js';
import type { EventData } from '../../../src/contracts/events/catalog.js';
import { createInMemoryEventStore } from '../../../src/eventstore/in-memory-event-store.js';
import { harness, job, MIN, T0 } from './scheduler-harness.js';

type Tick = EventData<'schedule.ticked'>;

const cronJob = (overlap: string, extra = '') =>
  job('tick', `trigger: {cron: "*/5 * * * *", overlap: ${overlap}${extra}}`);

const ticks = async (h: Awaited<ReturnType<typeof harness>>): Promise<Tick[]> =>
  (await h.store.readStream('job/tick'))
    .filter((e) => e.type === 'schedule.ticked')
    .map((e) => e.data as Tick);

const summary = (list: Tick[]) => list.map((t) => [(t.scheduledAt - T0) / MIN, t.decision]);

describe('Scheduler: cron', () => {
  it('records where scheduling began, then runs every tick in a window', async () => {
    const h = await harness({ tick: cronJob('allow') });
    expect(await ticks(h)).toEqual([
      { jobId: 'tick', scheduledAt: T0, decision: 'skip', reason: 'scheduling began' },
    ]);
    await h.advance(16 * MIN);
    expect(summary(await ticks(h))).toEqual([
      [0, 'skip'],
      [5, 'run'],
      [10, 'run'],
      [15, 'run'],
    ]);
    const started = h.facts('run.started');
    expect(started.map((f) => f.runId)).toEqual([5, 10, 15].map((m) => cronRunId('tick', T0 + m * MIN)));
    const requested = (await h.store.readStream(`run/${started[0]?.runId}`))[0]?.data;
    expect(requested).toMatchObject({ trigger: { kind: 'cron', at: T0 + 5 * MIN } });
    // The tick and its run request are one atomic append to the job stream.
    const job = await h.store.readStream('job/tick');
    expect(job.slice(1, 3).map((e) => e.type)).toEqual(['schedule.ticked', 'run.requested']);
  });

  it('overlap skip: a tick while the job is at its concurrency is skipped', async () => {
    const h = await harness({ tick: cronJob('skip') });
    await h.advance(11 * MIN);
    expect(summary(await ticks(h))).toEqual([
      [0, 'skip'],
      [5, 'run'],
      [10, 'skip'],
    ]);
    expect((await ticks(h))[2]?.reason).toMatch(/1 run\(s\) active/);
    await h.complete('tick', cronRunId('tick', T0 + 5 * MIN));
    await h.advance(5 * MIN);
    expect(summary(await ticks(h)).at(-1)).toEqual([15, 'run']);
    expect(h.facts('run.started')).toHaveLength(2);
  });

  it('overlap queue: the tick is recorded as queued and its run starts when capacity frees', async () => {
    const h = await harness({ tick: cronJob('queue') });
    await h.advance(11 * MIN);
    expect(summary(await ticks(h))).toEqual([
      [0, 'skip'],
      [5, 'run'],
      [10, 'queue'],
    ]);
    expect(h.facts('run.started')).toHaveLength(1);
    expect(h.scheduler.stats()).toMatchObject({ active: 1, queued: 1 });
    await h.complete('tick', cronRunId('tick', T0 + 5 * MIN));
    expect(h.facts('run.started').map((f) => f.runId)).toEqual([
      cronRunId('tick', T0 + 5 * MIN),
      cronRunId('tick', T0 + 10 * MIN),
    ]);
  });

  it('overlap allow: runs beyond the concurrency limit', async () => {
    const h = await harness({ tick: cronJob('allow') });
    await h.advance(11 * MIN);
    expect(h.scheduler.stats()).toMatchObject({ active: 2, queued: 0 });
  });

  it('catches up after downtime within the window, and records the older misses as one skip', async () => {
    const h = await harness({ tick: cronJob('allow', ', catchup: {window_ms: 1200000, max_runs: 2}') });
    await h.scheduler.stop();
    h.clock.set(T0 + 60 * MIN + 1_000); // down for an hour
    await h.restart();
    expect(summary(await ticks(h))).toEqual([
      [0, 'skip'],
      [45, 'skip'],
      [50, 'run'],
      [55, 'run'],
      [60, 'run'],
    ]);
    // 5..45 fell outside the 20-minute window; of the late ticks inside it, the last 2
    // (max_runs) catch up; the tick due now runs as usual.
    const list = await ticks(h);
    expect(list[1]?.reason).toMatch(/missed 9 tick\(s\)/);
    expect(list.slice(2).map((t) => t.reason)).toEqual(['catch-up', 'catch-up', undefined]);
    expect(h.facts('run.started')).toHaveLength(3);
  });

  it('never doubles a tick across a restart on the same store', async () => {
    const h = await harness({ tick: cronJob('allow') });
    await h.advance(5 * MIN);
    await h.restart();
    await h.restart();
    await h.advance(5 * MIN);
    expect(summary(await ticks(h))).toEqual([
      [0, 'skip'],
      [5, 'run'],
      [10, 'run'],
    ]);
    const runStreams = await h.store.listStreams('run/');
    expect(runStreams).toHaveLength(2);
  });

  it('a crash between the job stream and the run stream append: the rebuild completes the run', async () => {
    const store = createInMemoryEventStore();
    const runId = cronRunId('tick', T0 + 5 * MIN);
    const requested = {
      runId,
      jobId: 'tick',
      trigger: { kind: 'cron', at: T0 + 5 * MIN },
      input: { name: 'world', loud: false },
      dryRun: false,
      principal: 'operator',
    };
    const meta = { producer: 'engine/scheduler' };
    await store.append('job/tick', [
      {
        id: `tick/${T0}`,
        type: 'schedule.ticked',
        at: T0,
        data: { jobId: 'tick', scheduledAt: T0, decision: 'skip' },
        meta,
      },
    ]);
    await store.append('job/tick', [
      {
        id: `tick/${T0 + 5 * MIN}`,
        type: 'schedule.ticked',
        at: T0,
        data: { jobId: 'tick', scheduledAt: T0 + 5 * MIN, decision: 'run', runId },
        meta,
      },
      { id: `${runId}/requested`, type: 'run.requested', at: T0, data: requested, meta },
    ]);
    const h = await harness({ tick: cronJob('allow') }, {}, store);
    // The harness clock is at T0: move past the tick and restart (the rebuild runs on start).
    await h.scheduler.stop();
    h.clock.set(T0 + 5 * MIN + 1_000);
    await h.restart();
    expect(summary(await ticks(h))).toEqual([
      [0, 'skip'],
      [5, 'run'],
    ]);
    expect((await store.readStream(`run/${runId}`)).map((e) => e.id)).toEqual([`${runId}/requested`]);
    expect(h.facts('run.started').map((f) => f.runId)).toContain(runId);
    expect(new Set(h.facts('run.started').map((f) => f.runId)).size).toBe(1);
    expect(cronRunId('other', T0 + 5 * MIN)).not.toBe(runId);
  });
});
