import type { Clock } from '../../contracts/clock.js';
import type { RunId } from '../../contracts/ids.js';
import type { LogFields } from '../../contracts/logger.js';
import type { EventStore } from '../../eventstore/event-store.js';
import { isVersionConflict } from '../../eventstore/event-store.js';
import type { Bus, BusSubscription } from '../bus/bus.js';
import { errorInfo } from '../error-info.js';
import type { Logger } from '../logger.js';
import { type InboundEvent, inboxMessageSchema } from '../messages.js';
import { allInboxesPattern } from '../subjects.js';
import { type Decision, decideBatch, indeterminateFacts, startDecision } from './decide-batch.js';
import { LateAnswers } from './late-answers.js';
import { decideWithLocalPolicy, type LocalPolicy } from './local-policy.js';
import { Mailboxes } from './mailboxes.js';
import { publishCommands, publishEvents } from './outbox.js';
import { type Redelivery, resendPending, startRedelivery } from './redelivery.js';
import type { RunObserver } from './run-observer.js';
import { loadLiveRuns, loadRun, type ProgramCache, type RunSlot, recordAppended } from './run-slot.js';

export type { LocalPolicy } from './local-policy.js';

export interface RunHostOptions {
  store: EventStore;
  bus: Bus;
  ns: string;
  clock: Clock;
  log: Logger;
  programs: ProgramCache;
  producer?: string;
  /** The engine's own policy gate, asked in-process (decision 002). */
  localPolicy?: LocalPolicy;
  /** How often unanswered commands are looked at for redelivery (default 500 ms). */
  sweepMs?: number;
  /** Called when a run reaches a final state (after its run.completed is durable). */
  onFinished?: (slot: RunSlot) => void;
  /** Sees what is read and appended (tracing); dispatches carry its trace context. */
  observer?: RunObserver;
}

const NO_FIELDS: LogFields = Object.freeze({});

/** Finished run ids remembered (facts for them are dropped without reading the log). */
const FINISHED_KEPT = 50_000;

/**
 * Owns the live runs. For each inbound fact: validate, feed the run's machine, append the fact
 * and the commands it caused in one append (expected version), then publish (outbox). Facts
 * for one run are handled in order, several at a time when they queue up (one append, one
 * flush); runs proceed concurrently, so their appends share group commits. The decisions are
 * pure (`decideBatch`, `decideWithLocalPolicy`); this class does the reading, appending,
 * publishing and timing around them.
 */
export class RunHost {
  readonly #o: RunHostOptions;
  readonly #slots = new Map<RunId, RunSlot>();
  readonly #mailboxes: Mailboxes<RunId, InboundEvent>;
  readonly #finished = new Set<RunId>();
  readonly #producer: string;
  readonly #late: LateAnswers;
  #sub: BusSubscription | undefined;
  #redelivery: Redelivery | undefined;

  constructor(options: RunHostOptions) {
    this.#o = options;
    this.#producer = options.producer ?? 'engine/run-host';
    this.#late = new LateAnswers(options);
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
      this.deliver(msg.runId, msg.events);
    });
    this.#redelivery = startRedelivery({
      bus: this.#o.bus,
      ns: this.#o.ns,
      clock: this.#o.clock,
      log: this.#o.log,
      slots: () => this.#slots.values(),
      sweepMs: this.#o.sweepMs ?? 500,
      ...(this.#o.observer ? { trace: this.#o.observer } : {}),
    });
  }

  /** Re-publishes every command the live runs still wait on (receivers dedupe). */
  resendOutstanding(): number {
    return resendPending(this.#o.bus, this.#o.ns, this.#o.log, this.#slots.values(), this.#o.observer);
  }

  /** Runs loaded in memory and not final. */
  inFlight(): number {
    return this.#slots.size;
  }

  /** Queues facts for a run; resolves when they are durable (or dropped as invalid/stale). */
  deliver(runId: RunId, events: readonly InboundEvent[]): Promise<void> {
    return this.#mailboxes.deliver(runId, events);
  }

  async #process(runId: RunId, batch: InboundEvent[], retried = false): Promise<void> {
    // A finished run takes only the answers to the dispatches it cancelled (late-facts.ts).
    if (this.#finished.has(runId)) return this.#late.handle(runId, batch);
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
    if (decision.toAppend.length === 0) return;
    try {
      const result = await this.#o.store.append(slot.stream, decision.toAppend, {
        expectedVersion: slot.version,
      });
      recordAppended(slot, decision.next, result.version, decision.toAppend);
      observer?.appended(slot, result.events);
      publishEvents(this.#o.bus, this.#o.ns, slot.jobId, runId, result.events);
      publishCommands(this.#o.bus, this.#o.ns, slot, decision.commands, observer);
      if (slot.state && slot.state.status !== 'running') this.#retire(slot);
    } catch (e) {
      if (isVersionConflict(e) && !retried) {
        // Someone else appended (another host, the CLI): reload from the log and decide again.
        this.#slots.delete(runId);
        return this.#process(runId, batch, true);
      }
      throw e;
    }
  }

  /** Decides a batch, with the local policy gate's answers when there is one; logs what was dropped. */
  async #decide(slot: RunSlot, batch: InboundEvent[]): Promise<Decision> {
    const decide = (facts: InboundEvent[], acc: Decision) =>
      decideBatch(slot, facts, acc, {
        at: this.#o.clock.now(),
        producer: this.#producer,
        programFor: (plan, hash) => this.#o.programs.get(plan, hash),
      });
    const first = decide(batch, startDecision(slot));
    const local = this.#o.localPolicy;
    const decision = local
      ? await decideWithLocalPolicy(slot.runId, first, local, decide, (e) =>
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
    for (const { inbound, error } of d.refused) {
      this.#o.log.warn(
        {
          event: 'message.rejected',
          runId,
          ...this.#trace(runId),
          type: inbound.type,
          id: inbound.id,
          error: errorInfo(error),
        },
        'fact refused by the run host',
      );
    }
    for (const inbound of d.ignored) {
      this.#o.log.info(
        { event: 'fact.ignored', runId, ...this.#trace(runId), type: inbound.type, id: inbound.id },
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
    this.#finished.add(slot.runId);
    this.#late.remember(slot);
    if (this.#finished.size > FINISHED_KEPT) {
      const oldest = this.#finished.values().next().value;
      if (oldest !== undefined) this.#finished.delete(oldest);
    }
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
      publishCommands(this.#o.bus, this.#o.ns, slot, recovery.resend, observer);
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
  }
}
