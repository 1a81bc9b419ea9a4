import type { Clock } from '../../contracts/clock.js';
import { validateEventData } from '../../contracts/events/catalog.js';
import type { NewEvent } from '../../contracts/events/envelope.js';
import { isRunId, type RunId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import { isVersionConflict } from '../../eventstore/event-store.js';
import { commandToEvents, INBOUND_EVENT_TYPES } from '../../machines/commands.js';
import type { Command, CommandOf, Transition } from '../../machines/types.js';
import type { Bus, BusSubscription } from '../bus/bus.js';
import { errorInfo } from '../error-info.js';
import type { Logger } from '../logger.js';
import { type InboundEvent, inboxMessageSchema } from '../messages.js';
import { allInboxesPattern } from '../subjects.js';
import { publishCommands, publishEvents } from './outbox.js';
import { dueForRedelivery } from './redelivery.js';
import { loadRun, type ProgramCache, type RunSlot } from './run-slot.js';

export interface RunHostOptions {
  store: EventStore;
  bus: Bus;
  ns: string;
  clock: Clock;
  log: Logger;
  programs: ProgramCache;
  producer?: string;
  /** The engine's own policy gate, asked in-process (see #decideWithLocalPolicy). */
  localPolicy?: LocalPolicy;
  /** How often unanswered commands are looked at for redelivery (default 500 ms). */
  sweepMs?: number;
  /** Called when a run reaches a final state (after its run.completed is durable). */
  onFinished?: (slot: RunSlot) => void;
}

interface Decision {
  toAppend: NewEvent[];
  commands: Command[];
  next: Pick<RunSlot, 'state' | 'program' | 'started'>;
}

/** A policy gate in the same process (the engine's): answers checks without the bus. */
export interface LocalPolicy {
  checkLocal(
    runId: string,
    data: CommandOf<'policy.check'>['data'],
    started?: RunSlot['started'],
  ): Promise<InboundEvent | undefined>;
}

interface Mailbox {
  events: InboundEvent[];
  running: boolean;
  idle: Promise<void>;
  wake?: () => void;
}

/**
 * Owns the live runs. For each inbound fact: validate, feed the run's machine, append the fact
 * and the commands it caused in one append (expected version), then publish (outbox). Facts
 * for one run are handled in order, several at a time when they queue up (one append, one
 * flush); runs proceed concurrently, so their appends share group commits.
 */
export class RunHost {
  readonly #o: RunHostOptions;
  readonly #slots = new Map<string, RunSlot>();
  readonly #mailboxes = new Map<string, Mailbox>();
  readonly #finished = new Set<string>();
  readonly #producer: string;
  #sub: BusSubscription | undefined;
  #stopped = false;
  #sweeper: NodeJS.Timeout | undefined;
  #offStatus: (() => void) | undefined;

  constructor(options: RunHostOptions) {
    this.#o = options;
    this.#producer = options.producer ?? 'engine/run-host';
  }

  /** Subscribes to every run inbox. */
  start(): void {
    this.#sub = this.#o.bus.subscribeTyped(allInboxesPattern(this.#o.ns), inboxMessageSchema, (msg) => {
      if (!isRunId(msg.runId)) {
        this.#o.log.warn(
          { event: 'message.rejected', reason: 'run id invalid', runId: msg.runId },
          'inbox message for an invalid run id',
        );
        return;
      }
      this.deliver(msg.runId, msg.events);
    });
    this.#sweeper = setInterval(() => this.#sweep(), this.#o.sweepMs ?? 500);
    this.#sweeper.unref();
    // Publishes made while NATS was away were dropped: re-send what every live run awaits.
    this.#offStatus = this.#o.bus.onStatus((status) => {
      if (status.type === 'reconnected') this.resendOutstanding();
    });
  }

  /** Re-publishes every command the live runs still wait on (receivers dedupe). */
  resendOutstanding(): number {
    let sent = 0;
    for (const slot of this.#slots.values()) {
      if (slot.state?.status !== 'running') continue;
      const pending = Object.values(slot.state.pending);
      sent += pending.length;
      publishCommands(this.#o.bus, this.#o.ns, slot, pending);
    }
    this.#o.log.info({ event: 'run_host.resent', commands: sent }, 'outstanding commands re-sent');
    return sent;
  }

  /**
   * Redelivery: NATS drops a dispatch published while no worker listens (a worker still
   * starting, a restart). Every `sweepMs` the host re-sends commands that have waited longer
   * than their backoff (1 s, 2 s, 4 s … 30 s) without an answer or an acknowledgement.
   * Receivers dedupe, so a redelivery is never a second effect.
   */
  #sweep(): void {
    const now = this.#o.clock.now();
    for (const slot of this.#slots.values()) {
      const due = dueForRedelivery(slot, now);
      if (due.length > 0) {
        this.#o.log.info(
          { event: 'run_host.redelivered', runId: slot.runId, commands: due.map((c) => c.type) },
          'unanswered commands re-sent',
        );
        publishCommands(this.#o.bus, this.#o.ns, slot, due);
      }
    }
  }

  /** Runs loaded in memory and not final. */
  inFlight(): number {
    return this.#slots.size;
  }

  /** Queues facts for a run; resolves when they are durable (or dropped as invalid/stale). */
  deliver(runId: RunId, events: readonly InboundEvent[]): Promise<void> {
    let box = this.#mailboxes.get(runId);
    if (!box) {
      box = { events: [], running: false, idle: Promise.resolve() };
      this.#mailboxes.set(runId, box);
    }
    box.events.push(...events);
    if (!box.running) {
      box.running = true;
      box.idle = this.#drain(runId, box);
    }
    return box.idle;
  }

  async #drain(runId: RunId, box: Mailbox): Promise<void> {
    let failures = 0;
    try {
      while (box.events.length > 0 && !this.#stopped) {
        const batch = box.events.splice(0);
        try {
          await this.#process(runId, batch);
          failures = 0;
        } catch (e) {
          // The log could not take it (disk full, store closing): keep the facts and retry.
          box.events.unshift(...batch);
          failures += 1;
          this.#o.log.error(
            { event: 'run_host.append_failed', runId, attempt: failures, error: errorInfo(e) },
            'append failed; will retry',
          );
          await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** failures)));
        }
      }
    } finally {
      box.running = false;
      if (box.events.length === 0) this.#mailboxes.delete(runId);
    }
  }

  async #process(runId: RunId, batch: InboundEvent[], retried = false): Promise<void> {
    if (this.#finished.has(runId)) return;
    const slot = this.#slots.get(runId) ?? (await loadRun(this.#o.store, runId, this.#o.programs));
    if (!slot) {
      this.#o.log.warn(
        { event: 'message.rejected', reason: 'run_not_found', runId },
        'facts for an unknown run dropped',
      );
      return;
    }
    if (slot.state && slot.state.status !== 'running') return this.#retire(slot);
    this.#slots.set(runId, slot);
    const { toAppend, commands, next } = await this.#decideWithLocalPolicy(slot, batch);
    if (toAppend.length === 0) return;
    try {
      const result = await this.#o.store.append(slot.stream, toAppend, { expectedVersion: slot.version });
      Object.assign(slot, next, { version: result.version });
      for (const e of toAppend) {
        slot.seen.add(e.id);
        if (e.type === 'step.started') slot.acked.add((e.data as { dispatchId: string }).dispatchId);
      }
      publishEvents(this.#o.bus, this.#o.ns, slot.jobId, runId, result.events);
      publishCommands(this.#o.bus, this.#o.ns, slot, commands);
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

  /**
   * Decides a batch; when the policy gate lives in this process, its answers to the checks the
   * batch caused are fed back in the same batch, so a step's check, decision and dispatch are
   * one append (one flush) instead of two and a bus hop. Checks it does not answer go out on
   * the bus as usual.
   */
  async #decideWithLocalPolicy(slot: RunSlot, batch: InboundEvent[]): Promise<Decision> {
    let acc = this.#decide(slot, batch, {
      toAppend: [],
      commands: [],
      next: { state: slot.state, program: slot.program, started: slot.started },
    });
    const local = this.#o.localPolicy;
    if (!local) return acc;
    const answered = new Set<Command>();
    for (let round = 0; round < 100; round++) {
      const checks = acc.commands.filter(
        (c): c is CommandOf<'policy.check'> => c.type === 'policy.check' && !answered.has(c),
      );
      if (checks.length === 0) break;
      const facts: InboundEvent[] = [];
      for (const check of checks) {
        answered.add(check);
        try {
          const fact = await local.checkLocal(slot.runId, check.data, acc.next.started);
          if (fact) facts.push(fact);
        } catch (e) {
          this.#o.log.warn(
            { event: 'policy.local_failed', runId: slot.runId, error: errorInfo(e) },
            'local policy check failed; sent on the bus',
          );
          answered.delete(check);
        }
      }
      if (facts.length === 0) break;
      acc = this.#decide(slot, facts, acc);
    }
    return { ...acc, commands: acc.commands.filter((c) => !answered.has(c)) };
  }

  /** Feeds a batch to the machine without touching the slot; returns what to append and publish. */
  #decide(slot: RunSlot, batch: InboundEvent[], acc: Decision): Decision {
    const toAppend = [...acc.toAppend];
    const commands = [...acc.commands];
    let { state, program, started } = acc.next;
    for (const inbound of batch) {
      if (slot.seen.has(inbound.id) || toAppend.some((e) => e.id === inbound.id)) continue;
      const at = this.#o.clock.now();
      let t: Transition;
      try {
        if (!INBOUND_EVENT_TYPES.has(inbound.type))
          throw new Error(`${inbound.type} is not a fact a run accepts`);
        validateEventData(inbound.type, inbound.data);
        const event = { type: inbound.type, at, data: inbound.data };
        if (inbound.type === 'run.started') {
          if (program) continue;
          started = inbound.data as NonNullable<RunSlot['started']>;
          program = this.#o.programs.get(started.plan as never, started.planHash);
          t = program.start(event);
        } else {
          if (!program || !state) throw new Error('the run has not started');
          t = program.apply(state, event);
        }
      } catch (e) {
        this.#o.log.warn(
          {
            event: 'message.rejected',
            runId: slot.runId,
            type: inbound.type,
            id: inbound.id,
            error: errorInfo(e),
          },
          'fact refused by the run host',
        );
        continue;
      }
      if (t.state === state && t.commands.length === 0 && inbound.type !== 'step.started') {
        // A stale or replayed answer (its dispatch is closed): the log keeps the first one only.
        this.#o.log.info(
          { event: 'fact.ignored', runId: slot.runId, type: inbound.type, id: inbound.id },
          'a fact that changes nothing was dropped',
        );
        continue;
      }
      const meta = { causationId: inbound.id, correlationId: slot.runId, producer: inbound.producer };
      toAppend.push({ id: inbound.id, type: inbound.type as NewEvent['type'], at, data: inbound.data, meta });
      t.commands.forEach((command, i) => {
        for (const [j, e] of commandToEvents(command).entries()) {
          toAppend.push({
            id: `${inbound.id}>${i}.${j}`,
            type: e.type,
            at,
            data: e.data,
            meta: { ...meta, producer: this.#producer },
          });
        }
      });
      commands.push(...t.commands);
      state = t.state;
      if (state.status !== 'running') break;
    }
    return { toAppend, commands, next: { state, program, started } };
  }

  #retire(slot: RunSlot): void {
    this.#slots.delete(slot.runId);
    this.#finished.add(slot.runId);
    if (this.#finished.size > 50_000) {
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
    for (const stream of await this.#o.store.listStreams('run/')) {
      const runId = stream.slice(4);
      if (!isRunId(runId) || this.#slots.has(runId)) continue;
      const [last] = await this.#o.store.readStream(stream, { direction: 'backward', limit: 1 });
      if (!last || last.type === 'run.completed') continue;
      const slot = await loadRun(this.#o.store, runId, this.#o.programs);
      if (!slot?.program || !slot.state || slot.state.status !== 'running') continue;
      this.#slots.set(runId, slot);
      resumed += 1;
      const recovery = slot.program.outstanding(slot.state);
      publishCommands(this.#o.bus, this.#o.ns, slot, recovery.resend);
      if (recovery.indeterminate.length > 0) {
        indeterminate += recovery.indeterminate.length;
        const facts = recovery.indeterminate.map((e) => ({
          id: `${(e.data as { dispatchId: string }).dispatchId}/indeterminate`,
          type: e.type,
          at: this.#o.clock.now(),
          data: e.data,
          producer: this.#producer,
        }));
        await this.deliver(runId, facts);
      }
    }
    return { resumed, indeterminate };
  }

  /** Stops taking facts and waits for the ones in hand to be durable. */
  async stop(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#offStatus?.();
    await this.#sub?.drain();
    this.#stopped = true;
    await Promise.all([...this.#mailboxes.values()].map((b) => b.idle.catch(() => {})));
  }
}
