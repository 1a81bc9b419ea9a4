import { describe, expect, it } from 'vitest';
import { nextTick, planTicks } from '../../../src/actors/scheduler/cron-plan.js';
import type { CronTrigger } from '../../../src/blueprints/jobs/spec.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const every5: CronTrigger = {
  cron: '*/5 * * * *',
  timezone: 'UTC',
  overlap: 'skip',
  catchup: { window_ms: 0, max_runs: 1 },
};
const plan = (over: Partial<Parameters<typeof planTicks>[0]> = {}) =>
  planTicks({ trigger: every5, cursor: T0, now: T0, active: 0, concurrency: 1, ...over });

describe('planTicks', () => {
  it('runs a tick that is due now and nothing before the cursor', () => {
    expect(plan({ now: T0 + 5 * MIN + 200 })).toEqual([{ scheduledAt: T0 + 5 * MIN, decision: 'run' }]);
    expect(plan({ cursor: T0 + 5 * MIN, now: T0 + 5 * MIN + 200 })).toEqual([]);
    expect(plan({ now: T0 + 4 * MIN })).toEqual([]);
  });

  it('skips or queues a tick while the job is at its concurrency, and allow runs it anyway', () => {
    const now = T0 + 5 * MIN;
    expect(plan({ now, active: 1 })[0]).toMatchObject({ decision: 'skip' });
    expect(plan({ now, active: 1, trigger: { ...every5, overlap: 'queue' } })[0]).toMatchObject({
      decision: 'queue',
    });
    expect(plan({ now, active: 1, trigger: { ...every5, overlap: 'allow' } })[0]).toMatchObject({
      decision: 'run',
    });
    expect(plan({ now, active: 1, concurrency: 2 })[0]).toMatchObject({ decision: 'run' });
  });

  it('after downtime without catch-up records the missed ticks as one skip', () => {
    const decisions = plan({ now: T0 + 60 * MIN + 1000 });
    expect(decisions).toEqual([
      {
        scheduledAt: T0 + 55 * MIN,
        decision: 'skip',
        reason: 'missed 11 tick(s) outside the catch-up window',
      },
      { scheduledAt: T0 + 60 * MIN, decision: 'run' },
    ]);
  });

  it('catches up the most recent missed ticks inside the window, up to max_runs', () => {
    const trigger = { ...every5, overlap: 'allow' as const, catchup: { window_ms: 20 * MIN, max_runs: 2 } };
    const decisions = plan({ trigger, now: T0 + 60 * MIN + 1000 });
    expect(decisions.map((d) => [(d.scheduledAt - T0) / MIN, d.decision])).toEqual([
      [45, 'skip'],
      [50, 'run'],
      [55, 'run'],
      [60, 'run'],
    ]);
  });

  it('follows the time zone of the trigger', () => {
    const daily9: CronTrigger = { ...every5, cron: '0 9 * * *', timezone: 'Europe/Paris' };
    expect(new Date(nextTick(daily9, T0) as number).toISOString()).toBe('2026-01-02T08:00:00.000Z');
  });
});
