import { canonicalJson } from '../../contracts/canonical-json.js';
import type { CronJob } from './cron-loop.js';

/** What a re-read of the job files changes in the running cron loops. */
export interface CronSyncPlan {
  /** Jobs whose file is gone, or whose trigger is no longer cron: their loops stop. */
  remove: string[];
  /** Jobs whose schedule (expression, timezone, overlap, catch-up, concurrency) changed. */
  change: CronJob[];
  /** Cron jobs without a loop yet. */
  add: CronJob[];
}

const same = (a: CronJob, b: CronJob): boolean =>
  canonicalJson({ t: a.trigger, c: a.concurrency }) === canonicalJson({ t: b.trigger, c: b.concurrency });

/**
 * Compares the running loops with the cron jobs the files describe now (pure). A job whose
 * file is invalid at the moment (`invalid`: being edited) keeps its loop: its ticks record the
 * refusal (`job_invalid_spec`) until the file is fixed, rather than its schedule vanishing.
 */
export const planCronSync = (
  running: ReadonlyMap<string, CronJob>,
  desired: ReadonlyMap<string, CronJob>,
  invalid: ReadonlySet<string>,
): CronSyncPlan => {
  const plan: CronSyncPlan = { remove: [], change: [], add: [] };
  for (const [id, job] of running) {
    const next = desired.get(id);
    if (next === undefined) {
      if (!invalid.has(id)) plan.remove.push(id);
    } else if (!same(job, next)) plan.change.push(next);
  }
  for (const [id, job] of desired) if (!running.has(id)) plan.add.push(job);
  return plan;
};
