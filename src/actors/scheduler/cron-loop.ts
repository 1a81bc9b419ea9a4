import type { CronTrigger } from '../../blueprints/jobs/spec.js';
import { sha256Hex } from '../../contracts/canonical-json.js';
import type { Clock } from '../../contracts/clock.js';
import { parseRunId, type RunId } from '../../contracts/ids.js';
import { errorInfo } from '../error-info.js';
import type { Logger } from '../logger.js';
import { nextTick, planTicks, type TickDecision } from './cron-plan.js';
import type { CancelTimer, TimerService } from './timers.js';

export interface CronJob {
  jobId: string;
  trigger: CronTrigger;
  /** runtime.concurrency of the job. */
  concurrency: number;
}

export interface CronLoopDeps {
  clock: Clock;
  timers: TimerService;
  log: Logger;
  /** Runs of the job active now. */
  active(jobId: string): number;
  /** Records one decision (and requests its run); must be idempotent per scheduledAt. */
  record(job: CronJob, decision: TickDecision): Promise<void>;
  /** Told about every evaluation a timer starts (so the owner can await its work). */
  track?(work: Promise<void>): void;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The run id of a cron tick: a ULID whose time is the tick's time and whose randomness is
 * derived from the job id and that time, so deciding the same tick again (after a crash
 * between the appends) names the same run and every append of it dedupes.
 */
export const cronRunId = (jobId: string, scheduledAt: number): RunId => {
  let time = '';
  let t = Math.max(0, Math.floor(scheduledAt));
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const digest = sha256Hex(`cron:${jobId}@${scheduledAt}`);
  let bits = '';
  for (const ch of digest.slice(0, 20)) bits += Number.parseInt(ch, 16).toString(2).padStart(4, '0');
  let random = '';
  for (let i = 0; i < 80; i += 5) random += CROCKFORD[Number.parseInt(bits.slice(i, i + 5), 2)];
  return parseRunId(time + random);
};

/**
 * One cron-triggered job: sleeps until its next tick, then decides every tick since its
 * cursor with `planTicks` (overlap policy, catch-up window) and records each decision.
 * Evaluations never overlap; an error is logged and retried at the next tick.
 */
export class CronLoop {
  readonly job: CronJob;
  #cursor: number;
  #cancel: CancelTimer | undefined;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;
  readonly #d: CronLoopDeps;

  constructor(job: CronJob, cursor: number, deps: CronLoopDeps) {
    this.job = job;
    this.#cursor = cursor;
    this.#d = deps;
  }

  get cursor(): number {
    return this.#cursor;
  }

  /** Decides what is due now (catch-up after downtime), then arms the next tick. */
  start(): Promise<void> {
    return this.evaluate();
  }

  /** Decides every tick in (cursor, now] and arms the next one. Serialized. */
  evaluate(): Promise<void> {
    this.#running = this.#running.then(() => this.#evaluate());
    return this.#running;
  }

  async #evaluate(): Promise<void> {
    if (this.#stopped) return;
    const now = this.#d.clock.now();
    try {
      const decisions = planTicks({
        trigger: this.job.trigger,
        cursor: this.#cursor,
        now,
        active: this.#d.active(this.job.jobId),
        concurrency: this.job.concurrency,
      });
      for (const decision of decisions) {
        await this.#d.record(this.job, decision);
        this.#cursor = Math.max(this.#cursor, decision.scheduledAt);
      }
    } catch (e) {
      this.#d.log.error(
        { event: 'cron.tick_failed', jobId: this.job.jobId, error: errorInfo(e) },
        'cron evaluation failed; retrying at the next tick',
      );
    }
    this.#arm(Math.max(this.#cursor, now));
  }

  #arm(after: number): void {
    if (this.#stopped) return;
    this.#cancel?.();
    const at = nextTick(this.job.trigger, after);
    if (at === undefined) {
      this.#d.log.info({ event: 'cron.exhausted', jobId: this.job.jobId }, 'cron expression fires no more');
      return;
    }
    this.#cancel = this.#d.timers.at(at, () => {
      this.#cancel = undefined;
      const work = this.evaluate();
      this.#d.track?.(work);
    });
  }

  /** Disarms the loop and waits for a running evaluation. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancel?.();
    this.#cancel = undefined;
    await this.#running;
  }
}
