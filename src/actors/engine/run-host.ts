import type { Clock } from '../../contracts/clock.js';
import type { NewEvent } from '../../contracts/events/envelope.js';
import type { RunId } from '../../contracts/ids.js';
import type { LogFields } from '../../contracts/logger.js';
import type { AppendResult, EventStore } from '../../eventstore/event-store.js';
import { isVersionConflict } from '../../eventstore/event-store.js';
import type { Bus, BusSubscription } from '../bus/bus.js';
import { errorInfo } from '../error-info.js';
import type { Logger } from '../logger.js';
import { type InboundEvent, inboxMessageSchema } from '../messages.js';
import { allInboxesPattern, inboxSubject } from '../subjects.js';
import type { EngineSeals } from '../trust/engine-seals.js';
import { type Arrival, fromEngine } from './arrival.js';
import { type Decision, decideBatch, indeterminateFacts, startDecision } from './decide-batch.js';
import { DispatchDesk } from './dispatch-desk.js';
import { type ExecutorEffects, earlyDispatches } from './early-dispatches.js';
import { LateAnswers } from './late-answers.js';
import { decideWithLocalPolicy, type LocalPolicy } from './local-policy.js';
import { Mailboxes } from './mailboxes.js';
import { type OutboxPorts, publishCommands, publishEvents, type TimerPort } from './outbox.js';
import { type Redelivery, resendPending, startRedelivery } from './redelivery.js';
import type { RunObserver } from './run-observer.js';
import {
  emptySlot,
  loadLiveRuns,
  loadRun,
  type ProgramCache,
  type RunSlot,
  recordAppended,
} from './run-slot.js';

export type { LocalPolicy } from './local-policy.js';

export interface RunHostOptions {
  store: EventStore;
  bus: Bus;
  ns: string;
  clock: Clock;
  log: Logger;
  programs: ProgramCache;
  /** Seals dispatches on their way out and screens workers' facts on their way in. */
  seals: EngineSeals;
  /** The engine's scheduler: timers are handed to it in-process. */
  timers: TimerPort;
  producer?: string;
  /** The engine's own policy gate, asked in-process (decision 002). */
  localPolicy?: LocalPolicy;
  /** How often unanswered commands are looked at for redelivery (default 500 ms). */
  sweepMs?: number;
  /** Finished runs remembered without reading the log (default `FINISHED_KEPT`, late-answers.ts). */
  finishedKept?: number;
  /** Called when a run reaches a final state (after its run.completed is durable). */
  onFinished?: (slot: RunSlot) => void;
  /**
   * Called with what a batch is about to append, before the append: the engine imports the
   * artifacts a worker elsewhere made (artifact-import.ts). A throw fails the batch, which is
   * retried like a failed append.
   */
  beforeAppend?: (runId: RunId, events: readonly NewEvent[]) => Promise<void>;
  /** Sees what is read and appended (tracing); dispatches carry its trace context. */
  observer?: RunObserver;
  /**
   * What each executor may do (the catalog's `sideEffects`): a launch's dispatches of steps that
   * change nothing leave before its flush (decision 039). Without it, every launch waits.
   */
  executors?: ExecutorEffects;
}

const NO_FIELDS: LogFields = Object.freeze({});

/**
 * Owns the live runs. For each inbound fact: validate, feed the run's machine, append the fact
 * and the commands it caused in one append (expected version), then publish (outbox). Facts
 * for one run are handled in order, several at a time when they queue up (one append, one
 * flush); runs proceed concurrently, so their appends share group commits. The decisions are
 * pure (`decideBatch`, `decideWithLocalPolicy`); this class does the reading, appending,
 * publishing and timing around them.
 *
 * Trust (design.md §8): from the bus (`in.<runId>`) it takes only workers' answers with a valid
 * proof for a dispatch of that run (`EngineSeals.screen`), and only when they answer a dispatch
 * the run's log recorded, as recorded (`admitAnswer`). Everything the engine itself makes
 * (`run.started`, policy decisions, approval answers, timers, cancels, resolves) comes in
 * through `deliver`, in-process. A refused fact is a warn `message.rejected` naming the reason.
 */
export class RunHost {
  readonly #o: RunHostOptions;
  readonly #out: OutboxPorts;
  readonly #slots = new Map<RunId, RunSlot>();
  readonly #mailboxes: Mailboxes<RunId, Arrival>;
  readonly #producer: string;
  readonly #late: LateAnswers;
  #sub: BusSubscription | undefined;
  #redelivery: Redelivery | undefined;

  constructor(options: RunHostOptions) {
    this.#o = options;
    this.#producer = options.producer ?? 'engine/run-host';
    this.#late = new LateAnswers(options);
    this.#out = {
      bus: options.bus,
      ns: options.ns,
      seals: options.seals,
      desk: new DispatchDesk({ bus: options.bus, ns: options.ns, seals: options.seals, log: options.log }),
      timers: options.timers,
      now: () => options.clock.now(),
      ...(options.observer ? { trace: options.observer } : {}),
    };
    this.#mailboxes = new Mailboxes(
      (runId, batch) => this.#process(runId, batch),
      (runId, attempt, e) =>
        options.log.error(
          { event: 'run_host.append_failed', runId, ...this.#trace(runId), attempt, error: errorInfo(e) },
          'append failed; will retry',
        ),
    );
  }

  /** Subscribes to every run inbox (the message schema parses the run id: the bus edge). */
  start(): void {
    this.#sub = this.#o.bus.subscribeTyped(allInboxesPattern(this.#o.ns), inboxMessageSchema, (msg) => {
      const arrivals: Arrival[] = [];
      for (const fact of msg.events) {
        const verdict = this.#o.seals.screen(msg.runId, fact);
        if (verdict.ok) arrivals.push({ fact, from: 'bus', answers: verdict.answers });
        else this.#rejected(msg.runId, fact, verdict.reason);
      }
      if (arrivals.length > 0) return this.#mailboxes.deliver(msg.runId, arrivals);
    });
    this.#redelivery = startRedelivery({
      out: this.#out,
      clock: this.#o.clock,
      log: this.#o.log,
      slots: () => this.#slots.values(),
      sweepMs: this.#o.sweepMs ?? 500,
    });
  }

  /** Re-publishes every command the live runs still wait on (receivers dedupe). */
  resendOutstanding(): number {
    return resendPending(this.#out, this.#o.log, this.#slots.values());
  }

  /** Runs loaded in memory and not final. */
  inFlight(): number {
    return this.#slots.size;
  }

  /** Finished runs remembered (at most `finishedKept`; a fact for an older one reads the log). */
  finishedRemembered(): number {
    return this.#late.size;
  }

  /**
   * Starts a new run (`RunInbox.launch`): its request events, `run.started` and the commands
   * it causes in one append to a stream that must not exist yet; resolves once durable.
   * Throws when the run host already knows the run.
   */
  launch(runId: RunId, jobId: string, request: readonly NewEvent[], started: InboundEvent): Promise<void> {
    if (this.#slots.has(runId) || this.#late.knows(runId)) {
      return Promise.reject(new Error(`run ${runId} is already known to the run host`));
    }
    this.#slots.set(runId, { ...emptySlot(runId, jobId), request: [...request] });
    return this.#mailboxes.deliver(runId, fromEngine([started]));
  }

  /**
   * Queues facts the engine itself made (scheduler, policy gate, answer desk, recovery) for a
   * run, in-process; resolves when they are durable (or dropped as invalid/stale). Nothing
   * from the bus comes this way.
   */
  deliver(runId: RunId, events: readonly InboundEvent[]): Promise<void> {
    return this.#mailboxes.deliver(runId, fromEngine(events));
  }

  #rejected(runId: RunId, fact: InboundEvent, reason: string): void {
    this.#o.log.warn(
      {
        event: 'message.rejected',
        reason,
        subject: inboxSubject(this.#o.ns, runId),
        runId,
        type: String(fact.type).slice(0, 100),
        id: String(fact.id).slice(0, 300),
      },
      `fact refused: ${reason}`,
    );
  }

  async #process(runId: RunId, batch: Arrival[], retried = false): Promise<void> {
    // A finished run takes only the answers to the dispatches it cancelled (late-facts.ts). One
    // that ended long ago is no longer remembered: it is read from the log below, as after a restart.
    if (this.#late.knows(runId)) return this.#late.handle(runId, batch);
    const observer = this.#o.observer;
    const slot =
      this.#slots.get(runId) ??
      (await loadRun(this.#o.store, runId, this.#o.programs, observer && ((s, e) => observer.loaded(s, e))));
    if (!slot) {
      this.#o.log.warn(
        { event: 'message.rejected', reason: 'run_not_found', runId },
        'facts for an unknown run dropped',
      );
      return;
    }
    if (slot.state && slot.state.status !== 'running') {
      this.#retire(slot);
      return this.#late.handle(runId, batch, slot);
    }
    this.#slots.set(runId, slot);
    const decision = await this.#decide(slot, batch);
    const toAppend = slot.request ? [...slot.request, ...decision.toAppend] : decision.toAppend;
    if (toAppend.length === 0) return;
    await this.#o.beforeAppend?.(runId, decision.toAppend);
    // Some dispatches go out as soon as the batch is written into its transaction, before it
    // commits and flushes (early-dispatches.ts; decisions 033, 038, 039); the rest wait for the flush.
    const launching = slot.request;
    const early = earlyDispatches(launching !== undefined, batch, decision, this.#o.executors);
    let recorded = false;
    const record = (result: AppendResult) => {
      recorded = true;
      delete slot.request;
      recordAppended(slot, decision.next, result.version, toAppend);
      observer?.appended(slot, result.events);
    };
    try {
      const result = await this.#o.store.append(slot.stream, toAppend, {
        expectedVersion: slot.version,
        ...(early.length > 0
          ? {
              onWritten: (r: AppendResult) => {
                record(r);
                publishCommands(this.#out, slot, early);
              },
              beforeCommit: this.#out.desk.sendNow,
            }
          : {}),
      });
      const publishedEarly = recorded;
      if (!recorded) record(result);
      // Commands first: the desk's dispatches then leave in the same socket write as the events.
      // The events go out even when a command cannot (a closed bus): commands are re-sent from
      // the log on resume, events are not.
      try {
        publishCommands(
          this.#out,
          slot,
          publishedEarly ? decision.commands.filter((c) => !early.includes(c)) : decision.commands,
        );
      } finally {
        publishEvents(this.#o.bus, this.#o.ns, slot.jobId, runId, result.events);
      }
      if (slot.state && slot.state.status !== 'running') this.#retire(slot);
    } catch (e) {
      // Written but not durable, or conflicting: what is in memory is not what is durable. A
      // launch goes back to where `launch` left it, so the retried batch appends it again: its
      // stream is not in the log to reload from (decision 039).
      if (recorded && launching)
        this.#slots.set(runId, { ...emptySlot(runId, slot.jobId), request: launching });
      else if (recorded || isVersionConflict(e)) this.#slots.delete(runId);
      if (isVersionConflict(e) && !retried) {
        // Someone else appended (another host, the CLI): reload from the log and decide again.
        return this.#process(runId, batch, true);
      }
      throw e;
    }
  }

  /** Decides a batch, with the local policy gate's answers when there is one; logs what was dropped. */
  async #decide(slot: RunSlot, batch: Arrival[]): Promise<Decision> {
    const decide = (facts: Arrival[], acc: Decision) =>
      decideBatch(slot, facts, acc, {
        at: this.#o.clock.now(),
        producer: this.#producer,
        programFor: (plan, hash) => this.#o.programs.get(plan, hash),
      });
    const first = decide(batch, startDecision(slot));
    const local = this.#o.localPolicy;
    const decision = local
      ? await decideWithLocalPolicy(
          slot.runId,
          first,
          local,
          (facts, acc) => decide(fromEngine(facts), acc),
          (e) =>
            this.#o.log.warn(
              {
                event: 'policy.local_failed',
                runId: slot.runId,
                ...this.#trace(slot.runId),
                error: errorInfo(e),
              },
              'local policy check failed; sent on the bus',
            ),
        )
      : first;
    this.#logDropped(slot.runId, decision);
    return decision;
  }

  #logDropped(runId: RunId, d: Decision): void {
    for (const { inbound, reason, error } of d.refused) {
      this.#o.log.warn(
        {
          event: 'message.rejected',
          reason,
          runId,
          ...this.#trace(runId),
          type: inbound.type,
          id: inbound.id,
          ...(error !== undefined ? { error: errorInfo(error) } : {}),
        },
        `fact refused by the run host: ${reason}`,
      );
    }
    for (const { inbound, reason } of d.ignored) {
      this.#o.log.info(
        { event: 'fact.ignored', reason, runId, ...this.#trace(runId), type: inbound.type, id: inbound.id },
        'a fact that changes nothing was dropped',
      );
    }
  }

  /** `trace_id` and `span_id` of the run's trace for its log entries (nothing when tracing is off). */
  #trace(runId: RunId): LogFields {
    return this.#o.observer?.logFields(runId) ?? NO_FIELDS;
  }

  #retire(slot: RunSlot): void {
    this.#slots.delete(slot.runId);
    this.#late.remember(slot);
    this.#o.onFinished?.(slot);
  }

  /**
   * After a (re)start: every started, non-final run is folded from the log; non-idempotent
   * dispatches found in flight become `step.indeterminate`; everything else outstanding is
   * re-sent (executors dedupe on dispatch id, the scheduler on timer id).
   */
  async resume(): Promise<{ resumed: number; indeterminate: number }> {
    let resumed = 0;
    let indeterminate = 0;
    const observer = this.#o.observer;
    const live = loadLiveRuns(
      this.#o.store,
      this.#o.programs,
      (id) => this.#slots.has(id),
      observer && ((s, e) => observer.loaded(s, e)),
    );
    for await (const slot of live) {
      const { runId } = slot;
      this.#slots.set(runId, slot);
      resumed += 1;
      const recovery = slot.program.outstanding(slot.state);
      publishCommands(this.#out, slot, recovery.resend);
      if (recovery.indeterminate.length > 0) {
        indeterminate += recovery.indeterminate.length;
        await this.deliver(
          runId,
          indeterminateFacts(recovery.indeterminate, this.#o.clock.now(), this.#producer),
        );
      }
    }
    return { resumed, indeterminate };
  }

  /** Stops taking facts and waits for the ones in hand to be durable. */
  async stop(): Promise<void> {
    this.#redelivery?.stop();
    await this.#sub?.drain();
    await this.#mailboxes.stop();
    // Dispatches of the last turn leave now, before the bus closes.
    this.#out.desk.flush();
  }
}
