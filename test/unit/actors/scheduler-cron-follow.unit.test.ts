import { describe, expect, it } from 'vitest';
import { type CronJob, cronRunId } from '../../../src/actors/scheduler/cron-loop.js';
import { planCronSync } from '../../../src/actors/scheduler/cron-sync.js';
import { parseJobSpec } from '../../../src/blueprints/jobs/parse.js';
import type { EventData } from '../../../src/contracts/events/catalog.js';
import { harness, job, MIN, T0 } from './scheduler-harness.js';

type Tick = EventData<'schedule.ticked'>;

/** The job files are re-read every 30 s of the injected clock (a deployment: every second). */
const REFRESH = 30_000;

const ticks = async (h: Awaited<ReturnType<typeof harness>>, jobId = 'tick'): Promise<Tick[]> =>
  (await h.store.readStream(`job/${jobId}`))
    .filter((e) => e.type === 'schedule.ticked')
    .map((e) => e.data as Tick);

const summary = (list: Tick[]) => list.map((t) => [(t.scheduledAt - T0) / MIN, t.decision, t.reason ?? '']);
const cron = (expr: string) => job('tick', `trigger: {cron: "${expr}", overlap: allow}`);

describe('Scheduler: cron follows the job files without a restart (injected clock)', () => {
  it('a cron job added while the engine runs fires on its next tick', async () => {
    const h = await harness({ other: job('other') }, { jobsRefreshMs: REFRESH });
    expect(h.scheduler.stats().cronJobs).toBe(0);
    h.texts.tick = cron('*/5 * * * *');
    await h.advance(REFRESH);
    expect(h.scheduler.stats().cronJobs).toBe(1);
    await h.advance(5 * MIN - REFRESH);
    expect(summary(await ticks(h))).toEqual([
      [REFRESH / MIN, 'skip', 'scheduling began'],
      [5, 'run', ''],
    ]);
    expect(h.facts('run.started').map((f) => f.runId)).toEqual([cronRunId('tick', T0 + 5 * MIN)]);
  });

  it('an edited schedule applies from the moment it is read; the old one no longer fires', async () => {
    const h = await harness({ tick: cron('*/5 * * * *') }, { jobsRefreshMs: REFRESH });
    await h.advance(6 * MIN);
    h.texts.tick = cron('*/20 * * * *');
    await h.advance(REFRESH);
    await h.advance(20 * MIN);
    expect(summary(await ticks(h))).toEqual([
      [0, 'skip', 'scheduling began'],
      [5, 'run', ''],
      [6.5, 'skip', 'schedule changed'],
      [20, 'run', ''],
    ]);
  });

  it('a removed cron job stops firing; a file being edited (invalid) keeps its schedule', async () => {
    const h = await harness({ tick: cron('*/5 * * * *') }, { jobsRefreshMs: REFRESH });
    h.texts.tick = 'id: tick\ntitle: half-typed\ntarget: {kind: blueprint';
    await h.advance(6 * MIN);
    // The tick at 5 still fired: the run request found the spec invalid and recorded why.
    expect(summary(await ticks(h))).toEqual([
      [0, 'skip', 'scheduling began'],
      [5, 'skip', expect.stringContaining('job_invalid_spec')],
    ]);
    expect(h.log.entries.filter((e) => e.event === 'cron.job_invalid')).toHaveLength(1);
    delete h.texts.tick;
    await h.advance(REFRESH);
    expect(h.scheduler.stats().cronJobs).toBe(0);
    await h.advance(30 * MIN);
    expect(await ticks(h)).toHaveLength(2);
  });
});

describe('planCronSync', () => {
  const spec = parseJobSpec(`${cron('0 * * * *')}\n`, { file: 'tick.job.yaml' }).spec;
  const a: CronJob = { jobId: 'a', trigger: spec.trigger as CronJob['trigger'], concurrency: 1 };
  it('removes, changes and adds; an invalid file keeps its loop', () => {
    const running = new Map<string, CronJob>([
      ['a', a],
      ['b', { ...a, jobId: 'b' }],
      ['c', { ...a, jobId: 'c' }],
      ['d', { ...a, jobId: 'd' }],
    ]);
    const desired = new Map<string, CronJob>([
      ['a', a],
      ['b', { ...a, jobId: 'b', concurrency: 2 }],
      ['e', { ...a, jobId: 'e' }],
    ]);
    expect(planCronSync(running, desired, new Set(['d']))).toEqual({
      remove: ['c'],
      change: [{ ...a, jobId: 'b', concurrency: 2 }],
      add: [{ ...a, jobId: 'e' }],
    });
  });
});
