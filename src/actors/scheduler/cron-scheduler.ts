import type { JobRepository } from '../../blueprints/jobs/repository.js';
import { isCronTrigger } from '../../blueprints/jobs/spec.js';
import type { Clock } from '../../contracts/clock.js';
import type { LilyError } from '../../contracts/errors.js';
import type { EventData } from '../../contracts/events/catalog.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import { jobStream } from '../../contracts/events/streams.js';
import { isJobId, type JobId, type RunId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import { errorInfo } from '../error-info.js';
import type { Logger } from '../logger.js';
import { type CronJob, CronLoop, cronRunId } from './cron-loop.js';
import type { TickDecision } from './cron-plan.js';
import { planCronSync } from './cron-sync.js';
import type { PreparedRun, RunRequest } from './prepare-run.js';
import { tickEvent, writeRunRequest } from './run-records.js';
import type { CancelTimer, TimerService } from './timers.js';

export interface CronSchedulerDeps {
  store: EventStore;
  jobs: JobRepository;
  clock: Clock;
  timers: TimerService;
  log: Logger;
  producer: string;
  /** Runs of the job active now. */
  active(jobId: string): number;
  prepare(runId: RunId, req: RunRequest): Promise<PreparedRun>;
  /** Starts or queues a run whose request was just recorded; `force` ignores the concurrency limit. */
  admit(prepared: PreparedRun, force: boolean): void;
  /** Republishes appended events on their subjects. */
  publish(jobId: string, events: readonly StoredEvent[]): void;
  /** Registers background work (so `idle()` awaits it). */
  track(work: Promise<unknown>): void;
  /**
   * How often the job files are re-read so cron jobs added, edited or removed take effect
   * without a restart (on `timers`); undefined: only when `sync()` is called.
   */
  refreshMs?: number;
}

/**
 * The cron side of the scheduler: one `CronLoop` per job with a cron trigger, kept in line with
 * the job files (`sync`, every `refreshMs`). Each decision is a `schedule.ticked` event (id
 * `tick/<scheduledAt>`) in `job/<id>`, written in the same atomic append as the `run.requested`
 * it causes; the run id of a tick is derived from the job and the tick time (`cronRunId`), so
 * deciding a tick again writes nothing new.
 */
export class CronScheduler {
  readonly #d: CronSchedulerDeps;
  readonly #loops = new Map<string, CronLoop>();
  /** The last error logged per invalid job file (logged again only when it changes). */
  readonly #invalid = new Map<string, string>();
  /** Cursors found in the log at start, for jobs whose loop has not started yet. */
  #initial = new Map<string, number>();
  #syncing: Promise<void> = Promise.resolve();
  #refresh: CancelTimer | undefined;
  #stopped = false;

  constructor(deps: CronSchedulerDeps) {
    this.#d = deps;
  }

  get size(): number {
    return this.#loops.size;
  }

  /**
   * Starts a loop per cron job; `cursors` are the last ticks found in the job streams (a loop
   * catches up from there). Then re-reads the job files every `refreshMs`.
   */
  async start(cursors: ReadonlyMap<string, number>): Promise<void> {
    this.#stopped = false;
    this.#initial = new Map(cursors);
    await this.sync();
    this.#armRefresh();
  }

  /**
   * Re-reads the job files and brings the loops in line (cron-sync.ts): a new cron job starts
   * from now (a `scheduling began` tick), an edited one restarts from now under its new
   * schedule (a `schedule changed` tick, so a restart does not catch up the old one under the
   * new expression), a removed one stops. Serialized; never throws (a failed read is logged
   * and retried at the next refresh).
   */
  sync(): Promise<void> {
    this.#syncing = this.#syncing.then(() => this.#sync());
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    if (this.#stopped) return;
    try {
      const desired = new Map<string, CronJob>();
      const invalid = new Set<string>();
      for (const result of await this.#d.jobs.loadAll()) {
        if (!result.ok) {
          invalid.add(result.id);
          this.#reportInvalid(result.id, result.error.toJSON());
          continue;
        }
        this.#invalid.delete(result.id);
        const { spec } = result.job;
        if (!isCronTrigger(spec.trigger) || !isJobId(spec.id)) continue;
        desired.set(spec.id, {
          jobId: spec.id,
          trigger: spec.trigger,
          concurrency: spec.runtime.concurrency,
        });
      }
      const running = new Map([...this.#loops].map(([id, loop]) => [id, loop.job]));
      const plan = planCronSync(running, desired, invalid);
      for (const id of plan.remove) {
        await this.#loops.get(id)?.stop();
        this.#loops.delete(id);
        this.#d.log.info({ event: 'cron.job_removed', jobId: id }, 'cron job no longer scheduled');
      }
      for (const job of plan.change) {
        await this.#loops.get(job.jobId)?.stop();
        this.#loops.delete(job.jobId);
        const at = await this.#begin(job.jobId, 'schedule changed');
        this.#d.log.info(
          { event: 'cron.job_changed', jobId: job.jobId, cron: job.trigger.cron },
          'cron job rescheduled',
        );
        await this.#startLoop(job, at);
      }
      for (const job of plan.add) {
        const known = this.#initial.get(job.jobId);
        this.#initial.delete(job.jobId);
        // The first time this job is scheduled: record where scheduling began, so a restart
        // catches up from here rather than from its own start time.
        const cursor = known ?? (await this.#begin(job.jobId, 'scheduling began'));
        if (known === undefined) {
          this.#d.log.info(
            { event: 'cron.job_added', jobId: job.jobId, cron: job.trigger.cron },
            'cron job scheduled',
          );
        }
        await this.#startLoop(job, cursor);
      }
    } catch (e) {
      this.#d.log.error({ event: 'cron.sync_failed', error: errorInfo(e) }, 'reading the job files failed');
    }
  }

  /** Records a `skip` tick at now (where a loop's schedule begins) and returns its time. */
  async #begin(jobId: string, reason: string): Promise<number> {
    const at = this.#d.clock.now();
    await this.#appendTick({ jobId, scheduledAt: at, decision: 'skip', reason });
    return at;
  }

  async #startLoop(job: CronJob, cursor: number): Promise<void> {
    const loop = new CronLoop(job, cursor, {
      clock: this.#d.clock,
      timers: this.#d.timers,
      log: this.#d.log,
      active: (id) => this.#d.active(id),
      record: (j, d) => this.#record(j, d),
      track: (work) => this.#d.track(work),
    });
    this.#loops.set(job.jobId, loop);
    await loop.start();
  }

  /** Logs an invalid job file once per distinct error (the files are re-read every second). */
  #reportInvalid(jobId: string, error: ReturnType<LilyError['toJSON']>): void {
    const key = JSON.stringify(error);
    if (this.#invalid.get(jobId) === key) return;
    this.#invalid.set(jobId, key);
    this.#d.log.warn({ event: 'cron.job_invalid', jobId, error });
  }

  #armRefresh(): void {
    const every = this.#d.refreshMs;
    if (every === undefined || this.#stopped) return;
    this.#refresh = this.#d.timers.at(this.#d.clock.now() + every, () => {
      this.#refresh = undefined;
      const work = this.sync().then(() => this.#armRefresh());
      this.#d.track(work);
    });
  }

  /** Re-reads the job files now (`sync`). */
  reload(): Promise<void> {
    return this.sync();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#refresh?.();
    this.#refresh = undefined;
    await this.#syncing;
    await Promise.all([...this.#loops.values()].map((l) => l.stop()));
    this.#loops.clear();
  }

  async #appendTick(tick: EventData<'schedule.ticked'>): Promise<void> {
    const event = tickEvent(tick, this.#d.clock.now(), this.#d.producer);
    const result = await this.#d.store.append(jobStream(tick.jobId as JobId), [event]);
    if (!result.deduplicated) this.#d.publish(tick.jobId, result.events);
  }

  /** Records one decision and requests its run (`run` / `queue`); a run that cannot be prepared is a skip. */
  async #record(job: CronJob, d: TickDecision): Promise<void> {
    const base = { jobId: job.jobId, scheduledAt: d.scheduledAt, decision: d.decision };
    const reason = d.reason ? { reason: d.reason } : {};
    if (d.decision === 'skip') return this.#appendTick({ ...base, ...reason });
    const runId = cronRunId(job.jobId, d.scheduledAt);
    let prepared: PreparedRun;
    try {
      prepared = await this.#d.prepare(runId, {
        jobId: job.jobId,
        trigger: { kind: 'cron', at: d.scheduledAt },
      });
    } catch (e) {
      const error = errorInfo(e);
      this.#d.log.warn(
        { event: 'cron.tick_refused', jobId: job.jobId, error },
        `cron run refused: ${error.message}`,
      );
      return this.#appendTick({ ...base, decision: 'skip', reason: `${error.code}: ${error.message}` });
    }
    const { written, events } = await writeRunRequest(this.#d.store, {
      runId: prepared.runId,
      requested: prepared.requested,
      tick: { ...base, ...reason, runId },
      at: this.#d.clock.now(),
      producer: this.#d.producer,
    });
    this.#d.publish(job.jobId, events);
    if (written) this.#d.admit(prepared, d.decision === 'run' && job.trigger.overlap === 'allow');
  }
}
