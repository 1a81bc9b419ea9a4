import { z } from 'zod';
import type { Catalog } from '../../blueprints/catalog.js';
import type { JobRepository } from '../../blueprints/jobs/repository.js';
import type { Clock } from '../../contracts/clock.js';
import { LilyError } from '../../contracts/errors.js';
import type { EventData } from '../../contracts/events/catalog.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import { runStream } from '../../contracts/events/streams.js';
import { type IdGenerator, isJobId, isRunId, parseRunId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import type { Policy } from '../../policy/schema.js';
import type { Bus, BusMessage, BusSubscription } from '../bus/bus.js';
import { errorInfo } from '../error-info.js';
import type { Logger } from '../logger.js';
import { type InboundEvent, type SchedMessage, schedMessageSchema } from '../messages.js';
import { eventSubject, eventTypePattern, inboxSubject, SCHED_QUEUE, schedSubject } from '../subjects.js';
import { CronScheduler } from './cron-scheduler.js';
import { envFingerprint } from './env-fingerprint.js';
import {
  type PrepareDeps,
  type PreparedRun,
  prepareRun,
  type RunRequest,
  requestFromRecord,
} from './prepare-run.js';
import { type QueuedRun, RunIndex, rebuildRunIndex, runProgress } from './run-index.js';
import { closeUnstartedRun, requestedEvent, writeRunRequest } from './run-records.js';
import { RunTimers } from './run-timers.js';
import { systemTimers, type TimerService } from './timers.js';

export interface SchedulerOptions {
  store: EventStore;
  bus: Bus;
  ns: string;
  clock: Clock;
  log: Logger;
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
  /** Learn run completions from `run.completed` on the bus (default true); else call `runFinished`. */
  followCompletions?: boolean;
  producer?: string;
}

const completedSchema = z.object({ stream: z.string() }).loose();

/**
 * The Scheduler actor: turns run requests (bus `run.request`, `requestRun`, cron ticks) into
 * runs, within each job's `runtime.concurrency`; arms run timers and delivers `timer.fired`;
 * delivers `run.cancel_requested`. Every decision is in the log (`run.requested` in `run/<id>`
 * and `job/<id>`, `schedule.ticked` in `job/<id>`), so `start()` after a crash rebuilds the
 * queue, the active runs and the cron cursors, and neither loses nor doubles a tick.
 */
export class Scheduler {
  readonly #o: SchedulerOptions;
  readonly #index = new RunIndex();
  readonly #timers: TimerService;
  readonly #runTimers: RunTimers;
  readonly #cron: CronScheduler;
  readonly #subs: BusSubscription[] = [];
  readonly #work = new Set<Promise<unknown>>();
  readonly #pumps = new Map<string, Promise<void>>();
  readonly #producer: string;
  #deps: PrepareDeps | undefined;
  #offStatus: (() => void) | undefined;
  #stopped = false;

  constructor(options: SchedulerOptions) {
    this.#o = options;
    this.#producer = options.producer ?? 'engine/scheduler';
    this.#timers = options.timers ?? systemTimers(options.clock);
    this.#runTimers = new RunTimers(this.#timers, (runId, timerId) => this.#fireTimer(runId, timerId));
    this.#cron = new CronScheduler({
      store: options.store,
      jobs: options.jobs,
      clock: options.clock,
      timers: this.#timers,
      log: options.log,
      producer: this.#producer,
      active: (jobId) => this.#index.activeCount(jobId),
      prepare: (runId, req) => prepareRun(this.#requireStarted(), runId, req),
      admit: (prepared, force) => this.#admit(prepared, force),
      publish: (jobId, events) => this.#publishStored(jobId, events),
      track: (work) => void this.#track(work),
    });
  }

  /** Rebuilds from the log, subscribes to `cmd.sched` (and run completions), starts queued runs and cron loops. */
  async start(): Promise<void> {
    const o = this.#o;
    const env = o.env ?? (await envFingerprint({ lilyVersion: o.kernelVersion, projectDir: o.projectDir }));
    this.#deps = {
      jobs: o.jobs,
      catalog: o.catalog,
      store: o.store,
      defaultPrincipal: o.policy?.default_principal ?? 'operator',
      kernelVersion: o.kernelVersion,
      env,
    };
    const rebuilt = await rebuildRunIndex(o.store);
    for (const { runId, jobId } of rebuilt.active) this.#index.markActive(runId, jobId);
    for (const requested of rebuilt.orphans) {
      await o.store.append(runStream(parseRunId(requested.runId)), [
        requestedEvent(requested, o.clock.now(), this.#producer),
      ]);
    }
    for (const requested of [...rebuilt.orphans, ...rebuilt.queued]) {
      this.#index.enqueue({ runId: requested.runId, jobId: requested.jobId, requested });
    }
    this.#subs.push(
      o.bus.subscribeTyped(schedSubject(o.ns), schedMessageSchema, (msg, raw) => this.#onMessage(msg, raw), {
        queue: SCHED_QUEUE,
      }),
    );
    if (o.followCompletions !== false) {
      const pattern = eventTypePattern(o.ns, 'run.completed');
      this.#subs.push(o.bus.subscribeTyped(pattern, completedSchema, (e) => this.#onCompleted(e.stream)));
    }
    this.#offStatus = o.bus.onStatus((s) => {
      if (s.type === 'reconnected') this.#track(this.reconcile());
    });
    o.log.info(
      { event: 'scheduler.started', active: rebuilt.active.length, queued: this.#index.counts().queued },
      'scheduler started',
    );
    for (const jobId of this.#index.queuedJobs()) this.#pump(jobId);
    if (o.cron !== false) await this.#cron.start(rebuilt.cursors);
  }

  /**
   * Validates and records a run request, then starts the run or queues it behind the job's
   * concurrency limit. Throws the refusal codes of `prepareRun`; nothing is written then.
   */
  async requestRun(req: RunRequest): Promise<{ runId: string; jobId: string }> {
    const deps = this.#requireStarted();
    const runId = this.#o.ids.runId();
    const prepared = await prepareRun(deps, runId, req);
    const { written, events } = await writeRunRequest(this.#o.store, {
      requested: prepared.requested,
      ...(prepared.forked ? { forked: prepared.forked } : {}),
      at: this.#o.clock.now(),
      producer: this.#producer,
    });
    this.#publishStored(prepared.spec.id, events);
    if (written) this.#admit(prepared, false);
    this.#o.log.info(
      { event: 'run.requested', runId, jobId: prepared.spec.id, trigger: req.trigger.kind },
      'run requested',
    );
    return { runId, jobId: prepared.spec.id };
  }

  /**
   * Cancels a run: a queued run is closed at once (`run.completed` cancelled); a started one
   * gets `run.cancel_requested` in its inbox. Throws `run_not_found`. Returns the run's job.
   */
  async cancelRun(runId: string, by: string, reason?: string): Promise<{ runId: string; jobId: string }> {
    const missing = () => new LilyError('run_not_found', `no run ${runId}`, { runId });
    if (!isRunId(runId)) throw missing();
    const queued = this.#index.removeQueued(runId);
    const head = (await this.#o.store.readStream(runStream(runId), { limit: 1 }))[0];
    if (!head) throw missing();
    const jobId = queued?.jobId ?? (head.data as { jobId?: string }).jobId ?? '';
    const progress = queued ? 'requested' : await runProgress(this.#o.store, runId);
    if (progress === 'requested') {
      const at = this.#o.clock.now();
      const events = await closeUnstartedRun(this.#o.store, runId, 'cancelled', at, this.#producer);
      this.#publishStored(jobId, events);
      this.#o.log.info({ event: 'run.cancelled', runId, jobId, by, reason }, 'queued run cancelled');
    } else if (progress === 'started') {
      this.#deliver(runId, {
        id: `${runId}/cancel_requested`,
        type: 'run.cancel_requested',
        at: this.#o.clock.now(),
        data: { by, ...(reason !== undefined ? { reason } : {}) },
        producer: this.#producer,
      });
    }
    return { runId, jobId };
  }

  /** A run reached its final state: frees its job's slot and starts queued runs. Idempotent. */
  runFinished(runId: string): void {
    this.#runTimers.cancelRun(runId);
    const jobId = this.#index.finish(runId) ?? this.#index.removeQueued(runId)?.jobId;
    if (jobId !== undefined) this.#pump(jobId);
  }

  /**
   * Checks every active run against the log (after a bus reconnect: a lost `run.completed`
   * or `run.started`): completed runs are finished; runs never started get `run.started` again.
   */
  async reconcile(): Promise<void> {
    for (const { runId, jobId } of this.#index.activeRuns()) {
      const progress = await runProgress(this.#o.store, runId);
      if (progress === 'completed') this.runFinished(runId);
      else if (progress === 'requested') {
        const [head] = await this.#o.store.readStream(runStream(parseRunId(runId)), { limit: 1 });
        const record = head?.data as EventData<'run.requested'> | undefined;
        if (!record) continue;
        const prepared = await this.#prepareQueued({ runId, jobId, requested: record });
        if (prepared) this.#launch(prepared);
      }
    }
  }

  /** Reloads the job specs and restarts the cron loops (keeping their cursors). */
  reloadJobs(): Promise<void> {
    return this.#cron.reload();
  }

  /** Counts for health and status. */
  stats(): { active: number; queued: number; timers: number; cronJobs: number } {
    return { ...this.#index.counts(), timers: this.#runTimers.size, cronJobs: this.#cron.size };
  }

  /** Resolves when the work started so far (handlers, appends, pumps) has settled. */
  async idle(): Promise<void> {
    while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
  }

  /** Stops cron loops and timers, drains the subscriptions, waits for work in hand. */
  async stop(): Promise<void> {
    if (this.#stopped) return this.idle();
    this.#stopped = true;
    this.#offStatus?.();
    await this.#cron.stop();
    this.#runTimers.clear();
    await Promise.all(this.#subs.map((s) => s.drain()));
    await this.idle();
  }

  #requireStarted(): PrepareDeps {
    if (!this.#deps) throw new LilyError('internal_error', 'the scheduler has not been started', {});
    return this.#deps;
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#work.add(p);
    const done = () => this.#work.delete(p);
    p.then(done, done);
    return p;
  }

  #onMessage(msg: SchedMessage, raw: BusMessage): Promise<void> {
    return this.#track(this.#handle(msg, raw));
  }

  async #handle(msg: SchedMessage, raw: BusMessage): Promise<void> {
    switch (msg.type) {
      case 'timer.schedule':
        if (isRunId(msg.runId)) this.#runTimers.schedule(msg.runId, msg.data);
        else this.#o.log.warn({ event: 'message.rejected', reason: 'run id invalid', runId: msg.runId });
        return;
      case 'timer.cancel':
        this.#runTimers.cancel(msg.data.timerId);
        return;
      case 'run.request':
        return this.#reply(raw, () =>
          this.requestRun({
            jobId: msg.jobId,
            ...(msg.input !== undefined ? { input: msg.input } : {}),
            ...(msg.dryRun !== undefined ? { dryRun: msg.dryRun } : {}),
            ...(msg.principal !== undefined ? { principal: msg.principal } : {}),
            trigger: { kind: msg.rerun ? 'rerun' : 'manual', at: this.#o.clock.now() },
            ...(msg.rerun ? { rerun: msg.rerun } : {}),
          }),
        );
      case 'run.cancel':
        return this.#reply(raw, () => this.cancelRun(msg.runId, msg.by, msg.reason));
    }
  }

  async #reply(raw: BusMessage, fn: () => Promise<{ runId: string; jobId: string }>): Promise<void> {
    try {
      raw.respond({ ok: true, ...(await fn()) });
    } catch (e) {
      const error = errorInfo(e);
      this.#o.log.warn({ event: 'run.request_refused', error }, `request refused: ${error.message}`);
      raw.respond({ ok: false, error });
    }
  }

  #onCompleted(stream: string): void {
    if (stream.startsWith('run/')) this.runFinished(stream.slice(4));
  }

  /** Starts the run now, or queues it (FIFO) when its job is at its concurrency limit. */
  #admit(prepared: PreparedRun, force: boolean): void {
    const jobId = prepared.spec.id;
    const free = this.#index.activeCount(jobId) < prepared.spec.runtime.concurrency;
    if (force || (free && this.#index.queue(jobId).length === 0)) this.#launch(prepared);
    else {
      const runId = prepared.requested.runId;
      this.#index.enqueue({ runId, jobId, requested: prepared.requested, prepared });
      this.#o.log.info({ event: 'run.queued', runId, jobId }, 'run queued behind the job concurrency');
    }
  }

  /** Hands `run.started` to the run host (its inbox); the host appends it and starts the machine. */
  #launch(prepared: PreparedRun): void {
    const { runId } = prepared.started;
    this.#index.markActive(runId, prepared.spec.id);
    this.#deliver(runId, {
      id: `${runId}/started`,
      type: 'run.started',
      at: this.#o.clock.now(),
      data: prepared.started,
      producer: this.#producer,
    });
  }

  #deliver(runId: string, event: InboundEvent): void {
    try {
      this.#o.bus.publish(inboxSubject(this.#o.ns, parseRunId(runId)), { runId, events: [event] });
    } catch (e) {
      // The log is the truth: a lost start is re-sent by `reconcile`, a lost timer by the host.
      this.#o.log.error({ event: 'scheduler.publish_failed', runId, type: event.type, error: errorInfo(e) });
    }
  }

  #fireTimer(runId: string, timerId: string): void {
    const firedAt = this.#o.clock.now();
    this.#deliver(runId, {
      id: `timer/${timerId}/fired`,
      type: 'timer.fired',
      at: firedAt,
      data: { timerId, firedAt },
      producer: this.#producer,
    });
  }

  /** Starts queued runs of a job while it has capacity (serialized per job). */
  #pump(jobId: string): void {
    const previous = this.#pumps.get(jobId) ?? Promise.resolve();
    const next = previous.then(() => this.#pumpNow(jobId));
    this.#pumps.set(jobId, next);
    this.#track(next).finally(() => {
      if (this.#pumps.get(jobId) === next) this.#pumps.delete(jobId);
    });
  }

  async #pumpNow(jobId: string): Promise<void> {
    while (!this.#stopped) {
      const head = this.#index.queue(jobId)[0];
      if (!head) return;
      const prepared = head.prepared ?? (await this.#prepareQueued(head));
      if (this.#index.queue(jobId)[0] !== head) continue; // cancelled meanwhile
      if (!prepared) {
        this.#index.shift(jobId);
        continue;
      }
      head.prepared = prepared;
      if (this.#index.activeCount(jobId) >= prepared.spec.runtime.concurrency) return;
      this.#index.shift(jobId);
      this.#launch(prepared);
    }
  }

  /** Prepares a run recorded before a restart; a run that no longer prepares is closed as failed. */
  async #prepareQueued(run: QueuedRun): Promise<PreparedRun | undefined> {
    try {
      return await prepareRun(this.#requireStarted(), run.runId, requestFromRecord(run.requested));
    } catch (e) {
      const error = errorInfo(e);
      this.#o.log.warn(
        { event: 'run.start_refused', runId: run.runId, jobId: run.jobId, error },
        `queued run cannot start: ${error.message}`,
      );
      const at = this.#o.clock.now();
      const events = await closeUnstartedRun(this.#o.store, run.runId, 'failed', at, this.#producer, error);
      this.#publishStored(run.jobId, events);
      return undefined;
    }
  }

  /** Republishes events the scheduler appended on their `evt` subjects (as the run host does). */
  #publishStored(jobId: string, events: readonly StoredEvent[]): void {
    for (const e of events) {
      try {
        const runId = e.stream.startsWith('run/') ? parseRunId(e.stream.slice(4)) : null;
        const job = isJobId(jobId) ? jobId : null;
        this.#o.bus.publish(eventSubject(this.#o.ns, job, runId, e.type), e);
      } catch (err) {
        this.#o.log.warn({ event: 'scheduler.publish_failed', stream: e.stream, error: errorInfo(err) });
      }
    }
  }
}
