import { Cron } from 'croner';
import { isCronTrigger, type JobTrigger } from '../../blueprints/jobs/spec.js';
import type { EventData } from '../../contracts/events/catalog.js';
import type { EventStore } from '../../eventstore/event-store.js';

/** One decision the scheduler recorded for a cron tick (`schedule.ticked` in `job/<id>`). */
export interface ScheduleTick {
  scheduledAt: number;
  decision: 'run' | 'skip' | 'queue';
  reason: string | null;
  runId: string | null;
  /** When it was recorded. */
  at: number;
}

/** A job's schedule: its trigger, the next fire times, and the ticks decided most recently. */
export interface JobSchedule {
  jobId: string;
  trigger: JobTrigger;
  /** The next fire times after `now` (epoch ms), empty for a manual job. */
  next: number[];
  /** The most recent decided ticks, newest first. */
  recent: ScheduleTick[];
}

/** The next `count` fire times of a trigger after `now` (croner, in the trigger's time zone). */
export const nextFireTimes = (trigger: JobTrigger, now: number, count: number): number[] => {
  if (!isCronTrigger(trigger)) return [];
  const cron = new Cron(trigger.cron, { timezone: trigger.timezone, paused: true });
  try {
    return cron.nextRuns(count, new Date(now)).map((d) => d.getTime());
  } finally {
    cron.stop();
  }
};

/** The newest `limit` ticks recorded in `job/<jobId>`, newest first. */
export const recentTicks = async (
  store: EventStore,
  jobId: string,
  limit: number,
): Promise<ScheduleTick[]> => {
  const events = await store.readStream(`job/${jobId}`);
  return events
    .filter((e) => e.type === 'schedule.ticked')
    .slice(-limit)
    .reverse()
    .map((e) => {
      const d = e.data as EventData<'schedule.ticked'>;
      return {
        scheduledAt: d.scheduledAt,
        decision: d.decision,
        reason: d.reason ?? null,
        runId: d.runId ?? null,
        at: e.at,
      };
    });
};
