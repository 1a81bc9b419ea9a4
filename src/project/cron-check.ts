import { Cron } from 'croner';
import type { JobSpecCheck } from '../blueprints/jobs/parse.js';
import { isCronTrigger } from '../blueprints/jobs/spec.js';

/** Where the "does it ever fire" search starts: fixed, so validation does not read the clock. */
const NEVER_FIRES_FROM = new Date(Date.UTC(2000, 0, 1));

/**
 * Checks a cron trigger with croner (the scheduler's parser), so `lily jobs validate` refuses
 * what the scheduler could not run, and
 * a schedule that can never fire (`0 0 31 2 *`). Lives here because src/blueprints may not import croner.
 */
export const cronCheck: JobSpecCheck = (spec) => {
  const trigger = spec.trigger;
  if (!isCronTrigger(trigger)) return [];
  try {
    const cron = new Cron(trigger.cron, { timezone: trigger.timezone, paused: true });
    const next = cron.nextRun(NEVER_FIRES_FROM);
    cron.stop();
    if (next === null) {
      return [
        {
          path: ['trigger', 'cron'],
          message: `cron expression "${trigger.cron}" never fires (no such date, e.g. February 31)`,
        },
      ];
    }
    return [];
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return [{ path: ['trigger', 'cron'], message: `invalid cron expression "${trigger.cron}": ${reason}` }];
  }
};
