import type { JobRepository } from '../../blueprints/jobs/repository.js';
import { isCronTrigger } from '../../blueprints/jobs/spec.js';
import type { Clock } from '../../contracts/clock.js';
import type { EventData } from '../../contracts/events/catalog.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import { jobStream } from '../../contracts/events/streams.js';
import { isJobId, type JobId, type RunId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import { errorInfo } from '../error-info.js';
import type { Logger } from '../logger.js';
import { type CronJob, CronLoop, cronRunId } from './cron-loop.js';
import type { TickDecision } from './cron-plan.js';
import type { PreparedRun, RunRequest } from './prepare-run.js';
import { tickEvent, writeRunRequest } from './run-records.js';
import type { TimerService } from './timers.js';

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
}

/**
 * The cron side of the scheduler: one `CronLoop` per job with a cron trigger. Each decision
 * is a `schedule.ticked` event (id `tick/<scheduledAt>`) in `job/<id>`, written in the same
 * atomic append as the `run.requested` it causes; the run id of a tick is derived from the
 * job and the tick time (`cronRunId`), so deciding a tick again writes nothing new.
 */
export class CronScheduler {
  readonly #d: CronSchedulerDeps;
  readonly #loops = new Map<string, CronLoop>();

  constructor(deps: CronSchedulerDeps) {
    this.#d = deps;
  }

  get size(): number {
    return this.#loops.size;
  }

  /** Starts a loop per cron job; `cursors` are the last ticks found in the job streams. */
  async start(cursors: ReadonlyMap<string, number>): Promise<void> {
    for (const result of await this.#d.jobs.loadAll()) {
      if (!result.ok) {
        this.#d.log.warn({ event: 'cron.job_invalid', jobId: result.id, error: result.error.toJSON() });
        continue;
      }
      const { spec } = result.job;
      if (!isCronTrigger(spec.trigger) || !isJobId(spec.id)) continue;
      let cursor = cursors.get(spec.id);
      if (cursor === undefined) {
        // The first time this job is scheduled: record where scheduling began, so a restart
        // catches up from here rather than from its own start time.
        cursor = this.#d.clock.now();
        const tick = { jobId: spec.id, scheduledAt: cursor, decision: 'skip' as const };
        await this.#appendTick({ ...tick, reason: 'scheduling began' });
      }
      const job: CronJob = { jobId: spec.id, trigger: spec.trigger, concurrency: spec.runtime.concurrency };
      const loop = new CronLoop(job, cursor, {
        clock: this.#d.clock,
        timers: this.#d.timers,
        log: this.#d.log,
        active: (id) => this.#d.active(id),
        record: (j, d) => this.#record(j, d),
        track: (work) => this.#d.track(work),
      });
      this.#loops.set(spec.id, loop);
      await loop.start();
    }
  }

  /** Reloads the job specs and restarts the loops from their cursors. */
  async reload(): Promise<void> {
    const cursors = new Map([...this.#loops].map(([id, loop]) => [id, loop.cursor]));
    await this.stop();
    await this.start(cursors);
  }

  async stop(): Promise<void> {
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
