import { deprecationWarnings } from '../../blueprints/kind-deprecation.js';
import type { EventData } from '../../contracts/events/catalog.js';
import { isJobId, parseRunId, type RunId } from '../../contracts/ids.js';
import type { BusMessage, BusSubscription } from '../bus/bus.js';
import { type SchedMessage, schedMessageSchema } from '../messages.js';
import type { RunInbox } from '../runtime/run-inbox.js';
import { WorkSet } from '../runtime/work-set.js';
import { eventTypePattern, SCHED_QUEUE, schedSubject, tryParseSubject } from '../subjects.js';
import { CronScheduler } from './cron-scheduler.js';
import { findKeyedRequest, sameRequest } from './idempotency.js';
import { type LaunchOutcome, launchRequested } from './launch-request.js';
import type { PreparedRun, RunRequest } from './prepare-run.js';
import { QueuePump } from './queue-pump.js';
import { restoreRunIndex } from './restore.js';
import { RunControl } from './run-control.js';
import { RunIndex } from './run-index.js';
import { RunPreparer } from './run-preparer.js';
import { writeRunRequest } from './run-records.js';
import { RunTimers } from './run-timers.js';
import { admission, runRequestOf, startedFact, timerFiredFact } from './scheduler-decisions.js';
import type { SchedulerOptions } from './scheduler-options.js';
import { SchedulerOutbox } from './scheduler-outbox.js';
import { systemTimers, type TimerService } from './timers.js';

export type { SchedulerOptions } from './scheduler-options.js';

/**
 * The Scheduler actor: turns run requests (bus `run.request`, `requestRun`, cron ticks) into
 * runs, within each job's `runtime.concurrency`; arms run timers and delivers `timer.fired`;
 * delivers `run.cancel_requested`. Its facts go to the run host in-process (`inbox`), never on
 * the bus, and timers come from the run host in-process too. Every decision is in the log (`run.requested` in `run/<id>`
 * and `job/<id>`, `schedule.ticked` in `job/<id>`), so `start()` after a crash rebuilds the
 * queue, the active runs and the cron cursors, and neither loses nor doubles a tick. The
 * decisions themselves are pure (`scheduler-decisions.ts`); this class reads, writes and sends.
 */
/** A run request the scheduler accepted: the run, and whether a repeated key found it. */
export interface RunAccepted {
  runId: RunId;
  jobId: string;
  existing?: true;
  warnings?: string[];
}

export class Scheduler {
  readonly #o: SchedulerOptions;
  readonly #index = new RunIndex();
  readonly #timers: TimerService;
  readonly #runTimers: RunTimers;
  readonly #cron: CronScheduler;
  readonly #out: SchedulerOutbox;
  readonly #preparer: RunPreparer;
  readonly #subs: BusSubscription[] = [];
  readonly #work = new WorkSet();
  readonly #queues: QueuePump;
  readonly #control: RunControl;
  readonly #producer: string;
  #offStatus: (() => void) | undefined;
  #stopped = false;

  constructor(options: SchedulerOptions) {
    this.#o = options;
    this.#producer = options.producer ?? 'engine/scheduler';
    this.#out = new SchedulerOutbox(options.bus, options.ns, options.log, options.inbox);
    this.#preparer = new RunPreparer(options, this.#out, this.#producer);
    this.#timers = options.timers ?? systemTimers(options.clock);
    this.#runTimers = new RunTimers(this.#timers, (runId, timerId) =>
      this.#out.deliver(runId, timerFiredFact(timerId, this.#o.clock.now(), this.#producer)),
    );
    this.#cron = new CronScheduler({
      store: options.store,
      jobs: options.jobs,
      clock: options.clock,
      timers: this.#timers,
      log: options.log,
      producer: this.#producer,
      active: (jobId) => this.#index.activeCount(jobId),
      prepare: (runId, req) => this.#preparer.prepare(runId, req),
      admit: (prepared, force) => this.#admit(prepared, force),
      publish: (jobId, events) => this.#out.publishStored(jobId, events),
      track: (work) => void this.#track(work),
      ...(options.jobsRefreshMs !== undefined ? { refreshMs: options.jobsRefreshMs } : {}),
    });
    this.#queues = new QueuePump(this.#index, {
      prepare: (run) => this.#preparer.prepareQueued(run),
      launch: (prepared) => this.#launch(prepared),
      track: (work) => this.#track(work),
      stopped: () => this.#stopped,
    });
    this.#control = new RunControl({
      store: options.store,
      clock: options.clock,
      log: options.log,
      producer: this.#producer,
      index: this.#index,
      out: this.#out,
      preparer: this.#preparer,
      launch: (prepared) => this.#launch(prepared),
      finished: (runId) => this.runFinished(runId),
    });
  }

  /** Rebuilds from the log, subscribes to `cmd.sched` (and run completions), starts queued runs and cron loops. */
  async start(): Promise<void> {
    const o = this.#o;
    await this.#preparer.init();
    const rebuilt = await restoreRunIndex(o.store, this.#index, o.clock, this.#producer);
    this.#subs.push(
      o.bus.subscribeTyped(schedSubject(o.ns), schedMessageSchema, (msg, raw) => this.#onMessage(msg, raw), {
        queue: SCHED_QUEUE,
      }),
    );
    if (o.followCompletions !== false) {
      const pattern = eventTypePattern(o.ns, 'run.completed');
      // The subject names the run: the event itself is not decoded.
      this.#subs.push(o.bus.subscribe(pattern, (m) => this.#onCompleted(m.subject)));
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
  async requestRun(req: RunRequest): Promise<RunAccepted> {
    const key = req.idempotency;
    if (key && isJobId(req.jobId)) {
      const first = await findKeyedRequest(this.#o.store, req.jobId, key.key);
      if (first) return this.#existing(sameRequest(first, key.key, key.requestHash));
    }
    const runId = this.#o.ids.runId();
    const prepared = await this.#preparer.prepare(runId, req);
    const launch = this.#o.inbox.launch?.bind(this.#o.inbox);
    if (launch && this.#verdict(prepared, false) === 'launch')
      return this.#requestAndLaunch(prepared, req, launch);
    const { written, events, recorded } = await writeRunRequest(this.#o.store, {
      runId,
      requested: prepared.requested,
      ...(prepared.forked ? { forked: prepared.forked } : {}),
      at: this.#o.clock.now(),
      producer: this.#producer,
    });
    if (recorded.runId !== runId)
      return this.#existing(sameRequest(recorded, key?.key ?? '', key?.requestHash ?? ''));
    this.#out.publishStored(prepared.spec.id, events);
    if (written) this.#admit(prepared, false);
    return this.#accepted(prepared, req);
  }

  /**
   * A request that starts at once, recorded with its start in one flush (`launchRequested`); the
   * job's slot is taken first and given back if the request could not be recorded.
   */
  async #requestAndLaunch(
    prepared: PreparedRun,
    req: RunRequest,
    launch: NonNullable<RunInbox['launch']>,
  ): Promise<RunAccepted> {
    this.#index.markActive(prepared.runId, prepared.spec.id);
    let outcome: LaunchOutcome;
    try {
      outcome = await launchRequested(this.#o.store, launch, prepared, this.#o.clock.now(), this.#producer);
    } catch (e) {
      this.runFinished(prepared.runId);
      throw e;
    }
    if (!outcome.launched) {
      this.runFinished(prepared.runId);
      const key = req.idempotency;
      return this.#existing(sameRequest(outcome.recorded, key?.key ?? '', key?.requestHash ?? ''));
    }
    // The run's events are published by the run host; the job's index entry is not an event
    // anyone tails (the two-append path never published it either).
    return this.#accepted(prepared, req);
  }

  #accepted(prepared: PreparedRun, req: RunRequest): RunAccepted {
    const { runId } = prepared;
    this.#o.log.info(
      { event: 'run.requested', runId, jobId: prepared.spec.id, trigger: req.trigger.kind },
      'run requested',
    );
    const kind = (prepared.started.plan as { kind?: unknown }).kind;
    const warnings = deprecationWarnings(
      this.#o.catalog,
      prepared.spec.id,
      typeof kind === 'string' ? kind : undefined,
    );
    return { runId, jobId: prepared.spec.id, ...(warnings.length > 0 ? { warnings } : {}) };
  }

  /** The answer to a repeated idempotency key: the run its first request started. */
  #existing(first: EventData<'run.requested'>): RunAccepted {
    this.#o.log.info(
      { event: 'run.request_repeated', runId: first.runId, jobId: first.jobId, key: first.idempotencyKey },
      'a repeated request answered with the run its key started',
    );
    return { runId: parseRunId(first.runId), jobId: first.jobId, existing: true };
  }

  /** Arms a run's timer (the run host's `timer.schedule`, in-process); `timer.fired` comes back the same way. */
  scheduleTimer(runId: RunId, data: EventData<'timer.scheduled'>): void {
    this.#runTimers.schedule(runId, data);
  }

  /** Disarms a timer (the run host's `timer.cancel`). */
  cancelTimer(timerId: string): void {
    this.#runTimers.cancel(timerId);
  }

  /** Cancels a run (`RunControl.cancel`): throws `run_not_found`; returns the run's job. */
  cancelRun(id: string, by: string, reason?: string): Promise<{ runId: RunId; jobId: string }> {
    return this.#control.cancel(id, by, reason);
  }

  /** A run reached its final state: frees its job's slot and starts queued runs. Idempotent. */
  runFinished(runId: RunId): void {
    this.#runTimers.cancelRun(runId);
    const jobId = this.#index.finish(runId) ?? this.#index.removeQueued(runId)?.jobId;
    if (jobId !== undefined) this.#pump(jobId);
  }

  /** Checks every active run against the log (after a bus reconnect): `RunControl.reconcile`. */
  reconcile(): Promise<void> {
    return this.#control.reconcile();
  }

  /** Re-reads the job specs now: cron loops follow added, edited and removed cron jobs. */
  reloadJobs(): Promise<void> {
    return this.#cron.reload();
  }

  /** Counts for health and status. */
  stats(): { active: number; queued: number; timers: number; cronJobs: number } {
    return { ...this.#index.counts(), timers: this.#runTimers.size, cronJobs: this.#cron.size };
  }

  /** Resolves when the work started so far (handlers, appends, pumps) has settled. */
  idle(): Promise<void> {
    return this.#work.idle();
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

  #track<T>(p: Promise<T>): Promise<T> {
    return this.#work.track(p);
  }

  #onMessage(msg: SchedMessage, raw: BusMessage): Promise<void> {
    return this.#track(this.#handle(msg, raw));
  }

  /** Run ids are parsed by the message schema (a cancel's is checked by `cancelRun`: `run_not_found`). */
  async #handle(msg: SchedMessage, raw: BusMessage): Promise<void> {
    switch (msg.type) {
      case 'run.request':
        return this.#out.reply(raw, () => this.requestRun(runRequestOf(msg, this.#o.clock.now())));
      case 'run.cancel':
        return this.#out.reply(raw, () => this.cancelRun(msg.runId, msg.by, msg.reason));
    }
  }

  #onCompleted(subject: string): void {
    const parsed = tryParseSubject(subject);
    if (parsed?.kind === 'event' && parsed.runId !== null) this.runFinished(parsed.runId);
  }

  #verdict(prepared: PreparedRun, force: boolean): 'launch' | 'queue' {
    const jobId = prepared.spec.id;
    return admission({
      force,
      active: this.#index.activeCount(jobId),
      concurrency: prepared.spec.runtime.concurrency,
      queued: this.#index.queue(jobId).length,
    });
  }

  /** Starts the run now, or queues it (FIFO) when its job is at its concurrency limit. */
  #admit(prepared: PreparedRun, force: boolean): void {
    const jobId = prepared.spec.id;
    if (this.#verdict(prepared, force) === 'launch') {
      this.#launch(prepared);
      return;
    }
    const { runId } = prepared;
    this.#index.enqueue({ runId, jobId, requested: prepared.requested, prepared });
    this.#o.log.info({ event: 'run.queued', runId, jobId }, 'run queued behind the job concurrency');
  }

  /** Hands `run.started` to the run host (its inbox); the host appends it and starts the machine. */
  #launch(prepared: PreparedRun): void {
    this.#index.markActive(prepared.runId, prepared.spec.id);
    this.#out.deliver(prepared.runId, startedFact(prepared, this.#o.clock.now(), this.#producer));
  }

  #pump(jobId: string): void {
    this.#queues.pump(jobId);
  }
}
