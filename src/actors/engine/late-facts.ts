import { validateEventData } from '../../contracts/events/catalog.js';
import type { NewEvent } from '../../contracts/events/envelope.js';
import type { RunId } from '../../contracts/ids.js';
import type { InboundEvent } from '../messages.js';

/**
 * Answers to cancelled dispatches. When a run ends (or a fail-fast partition stops its shards)
 * the machine emits `step.cancel` for every dispatch still in flight and stops listening to
 * them; the workers then say how each one ended (`step.cancelled`, `step.indeterminate` for a
 * non-idempotent step stopped mid-way, or `step.succeeded`/`failed` when the work finished
 * before the cancel reached it). Those facts change nothing in the run, but they are what an
 * auditor needs (did the charge happen? when did the process stop, and why?), so the host
 * appends the first answer to each cancelled dispatch to the run's stream, even after
 * `run.completed`, and drops every other fact for a finished run as before. Pure.
 */

/** Where each cancelled dispatch of a run stands: answered once a worker said how it ended. */
export type CancelledDispatches = Map<string, 'open' | 'answered'>;

/** Fact types that answer a dispatch: the only ones that may follow `run.completed`. */
export const LATE_ANSWER_TYPES: ReadonlySet<string> = new Set([
  'step.succeeded',
  'step.failed',
  'step.indeterminate',
  'step.cancelled',
  'gate.passed',
  'gate.failed',
]);

const dispatchIdOf = (data: unknown): string | undefined => {
  const id = (data as { dispatchId?: unknown } | null)?.dispatchId;
  return typeof id === 'string' ? id : undefined;
};

/** Follows one event of a run's stream (read back or just appended): cancels and their answers. */
export const trackCancels = (cancelled: CancelledDispatches, e: { type: string; data: unknown }): void => {
  const id = dispatchIdOf(e.data);
  if (id === undefined) return;
  if (e.type === 'step.cancel_requested' && !cancelled.has(id)) cancelled.set(id, 'open');
  else if (LATE_ANSWER_TYPES.has(e.type) && cancelled.get(id) === 'open') cancelled.set(id, 'answered');
};

/** True when `inbound` is the first answer to a dispatch the run cancelled. */
export const answersCancel = (cancelled: CancelledDispatches, inbound: InboundEvent): boolean => {
  const id = dispatchIdOf(inbound.data);
  return id !== undefined && LATE_ANSWER_TYPES.has(inbound.type) && cancelled.get(id) === 'open';
};

/** The dispatch ids of a run still waiting for their answer. */
export const openCancels = (cancelled: CancelledDispatches): Set<string> =>
  new Set([...cancelled].filter(([, s]) => s === 'open').map(([id]) => id));

export interface LateDecision {
  toAppend: NewEvent[];
  refused: { inbound: InboundEvent; error: unknown }[];
}

/**
 * What to append for a batch of facts of a finished run: the first valid answer to each of its
 * cancelled dispatches (a fact id already in the log is skipped); everything else is dropped.
 */
export const decideLateFacts = (
  slot: { runId: RunId; seen: ReadonlySet<string>; cancelled: CancelledDispatches },
  batch: readonly InboundEvent[],
  at: number,
): LateDecision => {
  const cancelled: CancelledDispatches = new Map(slot.cancelled);
  const out: LateDecision = { toAppend: [], refused: [] };
  for (const inbound of batch) {
    if (slot.seen.has(inbound.id) || !answersCancel(cancelled, inbound)) continue;
    try {
      validateEventData(inbound.type, inbound.data);
    } catch (error) {
      out.refused.push({ inbound, error });
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
