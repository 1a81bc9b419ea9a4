import { LilyError } from '../../contracts/errors.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import type { Json } from '../../contracts/json.js';
import type { InboundEvent } from '../messages.js';

/** An operator's answer for a dispatch whose outcome is unknown. */
export type ResolveAnswer = { outcome: 'succeeded'; output?: Json } | { outcome: 'failed'; reason: string };

interface DispatchRef {
  stepId: string;
  attempt: number;
  dispatchId: string;
  shard?: string;
}

const dispatchOf = (events: readonly StoredEvent[], dispatchId: string): DispatchRef | undefined =>
  events.find(
    (e) => e.type === 'step.dispatched' && (e.data as { dispatchId?: string }).dispatchId === dispatchId,
  )?.data as DispatchRef | undefined;

const answerOf = (events: readonly StoredEvent[], dispatchId: string): StoredEvent | undefined =>
  events.find(
    (e) =>
      (e.type === 'step.succeeded' || e.type === 'step.failed') &&
      (e.data as { dispatchId?: string }).dispatchId === dispatchId,
  );

/**
 * The fact that answers `dispatchId` for an operator, as a worker's reply would (deterministic
 * id `<dispatchId>/succeeded|failed`, so a late worker reply dedupes), at `who.at` (the
 * client's clock). Throws `run_not_found` `{runId, dispatchId}` when the run never dispatched it, and
 * `usage_invalid` when it was already answered.
 */
export const resolveFact = (
  runId: string,
  events: readonly StoredEvent[],
  dispatchId: string,
  answer: ResolveAnswer,
  who: { by: string; producer: string; at: number },
): { fact: InboundEvent; stepId: string } => {
  const ref = dispatchOf(events, dispatchId);
  if (!ref)
    throw new LilyError('run_not_found', `run ${runId} has no dispatch ${dispatchId}`, { runId, dispatchId });
  const already = answerOf(events, dispatchId);
  if (already) {
    throw new LilyError('usage_invalid', `dispatch ${dispatchId} was already answered (${already.type})`, {
      reason: 'resolve',
    });
  }
  const base = {
    stepId: ref.stepId,
    attempt: ref.attempt,
    dispatchId: ref.dispatchId,
    ...(ref.shard ? { shard: ref.shard } : {}),
  };
  const { by, producer, at } = who;
  if (answer.outcome === 'succeeded') {
    const data = { ...base, output: answer.output ?? {}, artifacts: [], durationMs: 0 };
    return {
      stepId: ref.stepId,
      fact: { id: `${dispatchId}/succeeded`, type: 'step.succeeded', at, data, producer },
    };
  }
  const error = { code: 'job_execution_failed', message: answer.reason, data: { resolvedBy: by } };
  const data = { ...base, error, retryable: false, durationMs: 0 };
  return {
    stepId: ref.stepId,
    fact: { id: `${dispatchId}/failed`, type: 'step.failed', at, data, producer },
  };
};
