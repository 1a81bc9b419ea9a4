import { Cron } from 'croner';
import type { JobSpecCheck } from '../blueprints/jobs/parse.js';
import { isCronTrigger } from '../blueprints/jobs/spec.js';

/**
 * Checks a cron trigger with croner (the scheduler's parser), so `lily jobs validate` refuses
 * what the scheduler could not run. Lives here because src/blueprints may not import croner.
 */
export const cronCheck: JobSpecCheck = (spec) => {
  const trigger = spec.trigger;
  if (!isCronTrigger(trigger)) return [];
  try {
    new Cron(trigger.cron, { timezone: trigger.timezone, paused: true }).stop();
    return [];
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return [{ path: ['trigger', 'cron'], message: `invalid cron expression "${trigger.cron}": ${reason}` }];
  }
};
