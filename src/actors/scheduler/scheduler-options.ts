import type { Catalog } from '../../blueprints/catalog.js';
import type { JobRepository } from '../../blueprints/jobs/repository.js';
import type { Clock } from '../../contracts/clock.js';
import type { IdGenerator } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import type { Policy } from '../../policy/schema.js';
import type { Bus } from '../bus/bus.js';
import type { Logger } from '../logger.js';
import type { RunInbox } from '../runtime/run-inbox.js';
import type { TimerService } from './timers.js';

export interface SchedulerOptions {
  store: EventStore;
  bus: Bus;
  ns: string;
  clock: Clock;
  log: Logger;
  /** The engine's run host: `run.started`, `timer.fired` and cancels are handed to it in-process. */
  inbox: RunInbox;
  /** The project's jobs (with the cron and policy-cap checks). */
  jobs: JobRepository;
  catalog: Catalog;
  ids: IdGenerator;
  /** Its `default_principal` is the principal of requests that name none (default `operator`). */
  policy?: Pick<Policy, 'default_principal'>;
  /** Lily's version: `run.started.kernelVersion` and `env.lily`. */
  kernelVersion: string;
  /** The project directory, for the lockfile hash of the env fingerprint. */
  projectDir?: string;
  /** Overrides the computed env fingerprint (tests). */
  env?: Record<string, string>;
  /** Default: real timers against `clock`. Tests pass `ManualTimers`. */
  timers?: TimerService;
  /** Run cron loops for jobs with a cron trigger (default true). */
  cron?: boolean;
  /**
   * Re-read the job files this often (on `timers`) so cron jobs added, edited or removed take
   * effect without a restart. Default: never (`reloadJobs()` does it on demand).
   */
  jobsRefreshMs?: number;
  /** Learn run completions from `run.completed` on the bus (default true); else call `runFinished`. */
  followCompletions?: boolean;
  producer?: string;
}
