import type { Plan } from '../../blueprints/plan.js';
import { validateEventData } from '../../contracts/events/catalog.js';
import type { NewEvent } from '../../contracts/events/envelope.js';
import type { RunId } from '../../contracts/ids.js';
import { commandToEvents, type EventToAppend, INBOUND_EVENT_TYPES } from '../../machines/commands.js';
import type { RunProgram } from '../../machines/program.js';
import type { Command, Transition } from '../../machines/types.js';
import type { InboundEvent } from '../messages.js';
import { answersCancel, type CancelledDispatches, trackCancels } from './late-facts.js';
import type { RunSlot } from './run-slot.js';

/** The part of a slot a decision advances (the slot itself changes only once the append is durable). */
export type SlotProgress = Pick<RunSlot, 'state' | 'program' | 'started'>;

/** What a batch of facts makes a run do: what to append (facts and commands), what to publish. */
export interface Decision {
  toAppend: NewEvent[];
  commands: Command[];
  next: SlotProgress;
  /** Facts refused (not a run fact, invalid data, a run not started), with why. */
  refused: { inbound: InboundEvent; error: unknown }[];
  /** Facts that change nothing (a stale or replayed answer): the log keeps the first only. */
  ignored: InboundEvent[];
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
  | { kind: 'refuse'; error: unknown }
  | { kind: 'apply'; t: Transition; next: SlotProgress };

/** Feeds one fact to the machine: the transition, or why the fact is skipped or refused. */
const step = (inbound: InboundEvent, at: number, cur: SlotProgress, ctx: DecideContext): Step => {
  try {
    if (!INBOUND_EVENT_TYPES.has(inbound.type))
      throw new Error(`${inbound.type} is not a fact a run accepts`);
    validateEventData(inbound.type, inbound.data);
    const event = { type: inbound.type, at, data: inbound.data };
    if (inbound.type === 'run.started') {
      if (cur.program) return { kind: 'skip' };
      const started = inbound.data as NonNullable<RunSlot['started']>;
      const program = ctx.programFor(started.plan as never, started.planHash);
      const t = program.start(event);
      return { kind: 'apply', t, next: { state: t.state, program, started } };
    }
    if (!cur.program || !cur.state) throw new Error('the run has not started');
    const t = cur.program.apply(cur.state, event);
    return { kind: 'apply', t, next: { ...cur, state: t.state } };
  } catch (error) {
    return { kind: 'refuse', error };
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
  batch: readonly InboundEvent[],
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
  for (const inbound of batch) {
    if (slot.seen.has(inbound.id) || out.toAppend.some((e) => e.id === inbound.id)) continue;
    const s = step(inbound, ctx.at, out.next, ctx);
    if (s.kind === 'skip') continue;
    if (s.kind === 'refuse') {
      out.refused.push({ inbound, error: s.error });
      continue;
    }
    const unchanged = s.t.state === out.next.state && s.t.commands.length === 0;
    if (unchanged && inbound.type !== 'step.started' && !answersCancel(cancelledSoFar(slot, out), inbound)) {
      out.ignored.push(inbound);
      continue;
    }
    out.toAppend.push(...recorded(inbound, s.t.commands, slot.runId, ctx));
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
