import { validateEventData } from '../../contracts/events/catalog.js';
import type { NewEvent } from '../../contracts/events/envelope.js';
import type { RunId } from '../../contracts/ids.js';
import type { Arrival } from './arrival.js';

/**
 * Answers to cancelled dispatches. When a run ends (or a fail-fast partition stops its shards)
 * the machine emits `step.cancel` for every dispatch still in flight and stops listening to
 * them; the workers then say how each one ended (`step.cancelled`, `step.indeterminate` for a
 * non-idempotent step stopped mid-way, or `step.succeeded`/`failed` when the work finished
 * before the cancel reached it). Those facts change nothing in the run, but they are what an
 * auditor needs (did the charge happen? when did the process stop, and why?), so the host
 * appends the first answer to each cancelled dispatch to the run's stream, even after
 * `run.completed`, and drops every other fact for a finished run as before. Only a worker's
 * answer that passed the inbox's screen (a valid proof for that dispatch) and names the
 * dispatch as the cancel recorded it (step, attempt, shard, gate) counts. Pure.
 */

/** A dispatch the run cancelled, as `step.cancel_requested` recorded it, and whether it was answered. */
export interface CancelRecord {
  state: 'open' | 'answered';
  stepId: string;
  attempt: number;
  shard?: string;
  gateId?: string;
}

/** The cancelled dispatches of a run, by dispatch id. */
export type CancelledDispatches = Map<string, CancelRecord>;

/** Fact types that answer a dispatch: the only ones that may follow `run.completed`. */
export const LATE_ANSWER_TYPES: ReadonlySet<string> = new Set([
  'step.succeeded',
  'step.failed',
  'step.indeterminate',
  'step.cancelled',
  'gate.passed',
  'gate.failed',
]);

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Follows one event of a run's stream (read back or just appended): cancels and their answers. */
export const trackCancels = (cancelled: CancelledDispatches, e: { type: string; data: unknown }): void => {
  const d = (e.data ?? {}) as Record<string, unknown>;
  const id = str(d.dispatchId);
  if (id === undefined) return;
  if (e.type === 'step.cancel_requested' && !cancelled.has(id)) {
    const shard = str(d.shard);
    const gateId = str(d.gateId);
    cancelled.set(id, {
      state: 'open',
      stepId: String(d.stepId),
      attempt: Number(d.attempt),
      ...(shard === undefined ? {} : { shard }),
      ...(gateId === undefined ? {} : { gateId }),
    });
    return;
  }
  const record = cancelled.get(id);
  if (LATE_ANSWER_TYPES.has(e.type) && record?.state === 'open')
    cancelled.set(id, { ...record, state: 'answered' });
};

/**
 * True when `arrival` is a worker's first answer to a dispatch the run cancelled, naming it as
 * the cancel recorded it.
 */
export const answersCancel = (cancelled: CancelledDispatches, arrival: Arrival): boolean => {
  if (arrival.from !== 'bus' || !LATE_ANSWER_TYPES.has(arrival.fact.type)) return false;
  const a = arrival.answers;
  const r = cancelled.get(a.dispatchId);
  return (
    r?.state === 'open' &&
    r.stepId === a.stepId &&
    r.attempt === a.attempt &&
    r.shard === a.shard &&
    r.gateId === a.gateId
  );
};

/** The dispatch ids of a run still waiting for their answer. */
export const openCancels = (cancelled: CancelledDispatches): Set<string> =>
  new Set([...cancelled].filter(([, r]) => r.state === 'open').map(([id]) => id));

export interface LateDecision {
  toAppend: NewEvent[];
  refused: { arrival: Arrival; error: unknown }[];
}

/**
 * What to append for a batch of facts of a finished run: the first valid answer to each of its
 * cancelled dispatches (a fact id already in the log is skipped); everything else is dropped.
 */
export const decideLateFacts = (
  slot: { runId: RunId; seen: ReadonlySet<string>; cancelled: CancelledDispatches },
  batch: readonly Arrival[],
  at: number,
): LateDecision => {
  const cancelled: CancelledDispatches = new Map(slot.cancelled);
  const out: LateDecision = { toAppend: [], refused: [] };
  for (const arrival of batch) {
    const inbound = arrival.fact;
    if (slot.seen.has(inbound.id) || !answersCancel(cancelled, arrival)) continue;
    try {
      validateEventData(inbound.type, inbound.data);
    } catch (error) {
      out.refused.push({ arrival, error });
      continue;
    }
    trackCancels(cancelled, inbound);
    out.toAppend.push({
      id: inbound.id,
      type: inbound.type as NewEvent['type'],
      at,
      data: inbound.data,
      meta: { causationId: inbound.id, correlationId: slot.runId, producer: inbound.producer },
    });
  }
  return out;
};
