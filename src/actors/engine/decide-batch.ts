import type { Plan } from '../../blueprints/plan.js';
import { validateEventData } from '../../contracts/events/catalog.js';
import type { NewEvent } from '../../contracts/events/envelope.js';
import type { RunId } from '../../contracts/ids.js';
import { commandToEvents, type EventToAppend, INBOUND_EVENT_TYPES } from '../../machines/commands.js';
import type { RunProgram } from '../../machines/program.js';
import type { Command, Transition } from '../../machines/types.js';
import type { InboundEvent } from '../messages.js';
import { admitAnswer } from '../trust/fact-admission.js';
import type { Arrival } from './arrival.js';
import { answersCancel, type CancelledDispatches, trackCancels } from './late-facts.js';
import type { RunSlot } from './run-slot.js';

/** The part of a slot a decision advances (the slot itself changes only once the append is durable). */
export type SlotProgress = Pick<RunSlot, 'state' | 'program' | 'started'>;

/** What a batch of facts makes a run do: what to append (facts and commands), what to publish. */
export interface Decision {
  toAppend: NewEvent[];
  commands: Command[];
  next: SlotProgress;
  /**
   * Facts refused, with the reason (`message.rejected`): not a run fact, invalid data, a run
   * not started, or a worker's answer that does not answer a dispatch as the log recorded it.
   */
  refused: { inbound: InboundEvent; reason: string; error?: unknown }[];
  /**
   * Facts that change nothing: a replayed answer (the log keeps the first only), or an
   * authentic answer to a dispatch the run no longer waits on (`dispatch_closed`).
   */
  ignored: { inbound: InboundEvent; reason: string }[];
}

export interface DecideContext {
  /** The time stamped on what this decision appends. */
  at: number;
  /** The producer of the commands (the facts keep their own). */
  producer: string;
  /** The program of a plan (shared between runs of the same plan). */
  programFor(plan: Plan, planHash: string): RunProgram;
}

/** An empty decision from where the slot stands. */
export const startDecision = (slot: Pick<RunSlot, 'state' | 'program' | 'started'>): Decision => ({
  toAppend: [],
  commands: [],
  next: { state: slot.state, program: slot.program, started: slot.started },
  refused: [],
  ignored: [],
});

type Step =
  | { kind: 'skip' }
  | { kind: 'stale'; reason: string }
  | { kind: 'refuse'; reason: string; error?: unknown }
  | { kind: 'apply'; t: Transition; next: SlotProgress; fact: InboundEvent };

/** Feeds one fact to the machine: the transition, or why the fact is skipped or refused. */
const step = (arrival: Arrival, at: number, cur: SlotProgress, ctx: DecideContext): Step => {
  if (!INBOUND_EVENT_TYPES.has(arrival.fact.type)) return { kind: 'refuse', reason: 'not_a_run_fact' };
  let inbound: InboundEvent;
  try {
    // The machine and the append get the validated data: the store does not parse it again.
    inbound = { ...arrival.fact, data: validateEventData(arrival.fact.type, arrival.fact.data) };
  } catch (error) {
    return { kind: 'refuse', reason: 'schema_invalid', error };
  }
  if (arrival.from === 'bus') {
    // A worker's answer: only to a dispatch the run's log recorded, as it recorded it.
    const admission = admitAnswer(cur.state, arrival.answers);
    if (admission.verdict === 'refuse') return { kind: 'refuse', reason: admission.reason };
    if (admission.verdict === 'stale') return { kind: 'stale', reason: admission.reason };
  }
  try {
    const event = { type: inbound.type, at, data: inbound.data };
    if (inbound.type === 'run.started') {
      if (cur.program) return { kind: 'skip' };
      const started = inbound.data as NonNullable<RunSlot['started']>;
      const program = ctx.programFor(started.plan as never, started.planHash);
      const t = program.start(event);
      return { kind: 'apply', t, next: { state: t.state, program, started }, fact: inbound };
    }
    if (!cur.program || !cur.state) return { kind: 'refuse', reason: 'run_not_started' };
    const t = cur.program.apply(cur.state, event);
    return { kind: 'apply', t, next: { ...cur, state: t.state }, fact: inbound };
  } catch (error) {
    return { kind: 'refuse', reason: 'fact_invalid', error };
  }
};

/** The run's cancelled dispatches, with those this decision cancels and answers. */
const cancelledSoFar = (slot: { cancelled?: CancelledDispatches }, d: Decision): CancelledDispatches => {
  const cancelled: CancelledDispatches = new Map(slot.cancelled);
  for (const e of d.toAppend) trackCancels(cancelled, e);
  return cancelled;
};

/** The events a fact and the commands it caused are recorded as (command ids derive from the fact's). */
const recorded = (inbound: InboundEvent, commands: readonly Command[], runId: RunId, ctx: DecideContext) => {
  const meta = { causationId: inbound.id, correlationId: runId, producer: inbound.producer };
  const events: NewEvent[] = [
    { id: inbound.id, type: inbound.type as NewEvent['type'], at: ctx.at, data: inbound.data, meta },
  ];
  commands.forEach((command, i) => {
    for (const [j, e] of commandToEvents(command).entries()) {
      events.push({
        id: `${inbound.id}>${i}.${j}`,
        type: e.type,
        at: ctx.at,
        data: e.data,
        meta: { ...meta, producer: ctx.producer },
      });
    }
  });
  return events;
};

/**
 * Decides a batch of facts for one run, continuing `acc` (pure: time, producer and programs
 * come in `ctx`; nothing is read or written). Facts already in the log (`seen`) or in this
 * decision are skipped; a fact that leaves the state unchanged and causes nothing is ignored
 * (except `step.started`, which the log keeps as the acknowledgement, and the first answer to a
 * dispatch the run cancelled: late-facts.ts); the batch stops at a final state.
 */
export const decideBatch = (
  slot: Pick<RunSlot, 'runId' | 'seen'> & { cancelled?: CancelledDispatches },
  batch: readonly Arrival[],
  acc: Decision,
  ctx: DecideContext,
): Decision => {
  const out: Decision = {
    toAppend: [...acc.toAppend],
    commands: [...acc.commands],
    next: acc.next,
    refused: [...acc.refused],
    ignored: [...acc.ignored],
  };
  for (const arrival of batch) {
    const inbound = arrival.fact;
    if (slot.seen.has(inbound.id) || out.toAppend.some((e) => e.id === inbound.id)) continue;
    const s = step(arrival, ctx.at, out.next, ctx);
    if (s.kind === 'skip') continue;
    if (s.kind === 'refuse') {
      out.refused.push({ inbound, reason: s.reason, ...(s.error !== undefined ? { error: s.error } : {}) });
      continue;
    }
    if (s.kind === 'stale') {
      // The first answer to a dispatch the run cancelled is kept for the record (late-facts.ts).
      if (answersCancel(cancelledSoFar(slot, out), arrival))
        out.toAppend.push(...recorded(inbound, [], slot.runId, ctx));
      else out.ignored.push({ inbound, reason: s.reason });
      continue;
    }
    if (s.t.state === out.next.state && s.t.commands.length === 0 && inbound.type !== 'step.started') {
      out.ignored.push({ inbound, reason: 'no_change' });
      continue;
    }
    out.toAppend.push(...recorded(s.fact, s.t.commands, slot.runId, ctx));
    out.commands.push(...s.t.commands);
    out.next = s.next;
    if (s.t.state.status !== 'running') break;
  }
  return out;
};

/** The facts that make in-flight non-idempotent dispatches indeterminate after a restart. */
export const indeterminateFacts = (
  events: readonly EventToAppend[],
  at: number,
  producer: string,
): InboundEvent[] =>
  events.map((e) => ({
    id: `${(e.data as { dispatchId: string }).dispatchId}/indeterminate`,
    type: e.type,
    at,
    data: e.data,
    producer,
  }));
