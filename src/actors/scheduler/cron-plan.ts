import { Cron } from 'croner';
import type { CronTrigger } from '../../blueprints/jobs/spec.js';

export interface TickDecision {
  scheduledAt: number;
  decision: 'run' | 'skip' | 'queue';
  reason?: string;
}

export interface TickPlanInput {
  trigger: CronTrigger;
  /** The last tick already decided (from the job stream), or when scheduling began. */
  cursor: number;
  now: number;
  /** Runs of the job that are active now. */
  active: number;
  /** runtime.concurrency of the job. */
  concurrency: number;
  /** A tick this recent counts as on time, not as missed (timer slack). */
  graceMs?: number;
}

const MAX_ENUMERATED = 100_000;

const ticksBetween = (cron: Cron, after: number, until: number, max = MAX_ENUMERATED): number[] => {
  const out: number[] = [];
  let next = cron.nextRun(new Date(after));
  while (next && next.getTime() <= until && out.length < max) {
    out.push(next.getTime());
    next = cron.nextRun(next);
  }
  return out;
};

/**
 * Decides every tick of a cron trigger in (cursor, now]: on-time ticks run (subject to the
 * overlap policy), missed ticks run only inside the catch-up window and up to `max_runs` (the
 * most recent), the rest are recorded as one `skip`. Pure given its input; the scheduler
 * records each decision in the job's stream, so a restart neither loses nor doubles a tick.
 */
export const planTicks = (input: TickPlanInput): TickDecision[] => {
  const { trigger, cursor, now } = input;
  const grace = input.graceMs ?? 5_000;
  const cron = new Cron(trigger.cron, { timezone: trigger.timezone, paused: true });
  try {
    const recentFrom = Math.max(cursor, now - Math.max(trigger.catchup.window_ms, grace));
    const recent = ticksBetween(cron, recentFrom, now);
    const onTime = recent.filter((t) => now - t <= grace);
    const late = recent.filter((t) => now - t > grace);
    const catchUp = late.slice(Math.max(0, late.length - trigger.catchup.max_runs));
    const missed = [
      ...ticksBetween(cron, cursor, recentFrom),
      ...late.slice(0, late.length - catchUp.length),
    ];
    const decisions: TickDecision[] = [];
    const last = missed.at(-1);
    if (last !== undefined) {
      const count = missed.length >= MAX_ENUMERATED ? `${MAX_ENUMERATED}+` : String(missed.length);
      decisions.push({
        scheduledAt: last,
        decision: 'skip',
        reason: `missed ${count} tick(s) outside the catch-up window`,
      });
    }
    let running = input.active;
    for (const t of [...catchUp, ...onTime]) {
      const decision = overlap(trigger.overlap, running, input.concurrency);
      if (decision.decision === 'run') running += 1;
      decisions.push({
        scheduledAt: t,
        ...decision,
        ...(catchUp.includes(t) && decision.decision === 'run' ? { reason: 'catch-up' } : {}),
      });
    }
    return decisions;
  } finally {
    cron.stop();
  }
};

const overlap = (
  policy: CronTrigger['overlap'],
  running: number,
  concurrency: number,
): Omit<TickDecision, 'scheduledAt'> => {
  if (running < concurrency || policy === 'allow') return { decision: 'run' };
  return policy === 'queue'
    ? { decision: 'queue', reason: `${running} run(s) active (concurrency ${concurrency})` }
    : { decision: 'skip', reason: `${running} run(s) active (concurrency ${concurrency})` };
};

/** When the next tick after `after` is due, or undefined when the expression never fires again. */
export const nextTick = (trigger: CronTrigger, after: number): number | undefined => {
  const cron = new Cron(trigger.cron, { timezone: trigger.timezone, paused: true });
  try {
    return cron.nextRun(new Date(after))?.getTime();
  } finally {
    cron.stop();
  }
};
