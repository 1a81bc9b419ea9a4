import type { RouteOutcome } from '../../blueprints/plan.js';
import type { ErrorInfo } from '../../contracts/index.js';
import { retryDelayMs } from '../backoff.js';
import type { Inflight, ShardState } from '../types.js';
import { settle } from './settle.js';
import type { Tx } from './tx.js';

/**
 * Schedules the next try of a failed dispatch: `step.retry` then a `retry` timer, after the
 * delay the executor asked for (`retryAfterMs`, from the logged `step.failed`) or else the
 * plan's backoff. Both come from the log, so a replay schedules the same timer.
 */
const scheduleRetry = (
  tx: Tx,
  dispatchId: string,
  inflight: Inflight,
  tries: number,
  retryAfterMs: number | undefined,
): void => {
  const { stepId, attempt, shard } = inflight;
  const delayMs = retryAfterMs ?? retryDelayMs(tx.planStep(stepId).retry.backoff, tries, dispatchId);
  const timerId = `${dispatchId}/retry`;
  tx.emit({
    type: 'step.retry',
    data: { stepId, attempt, nextAttempt: attempt + 1, delayMs, ...(shard !== undefined ? { shard } : {}) },
  });
  tx.emit(
    {
      type: 'timer.schedule',
      data: { timerId, fireAt: tx.at + delayMs, purpose: 'retry', stepId, attempt: attempt + 1 },
    },
    timerId,
  );
  tx.putTimer(timerId, { purpose: 'retry', stepId, dispatchId, ...(shard !== undefined ? { shard } : {}) });
};

export type ShardOutcome = (tx: Tx, stepId: string) => void;

/**
 * A dispatch failed (or timed out): retry while `retryable` and tries remain in this visit
 * (after `retryAfterMs` when the executor asked for a delay), else the step (or shard) fails
 * with that outcome. Shard failures hand over to `pump`.
 */
export const onDispatchFailed = (
  tx: Tx,
  dispatchId: string,
  inflight: Inflight,
  error: ErrorInfo,
  retryable: boolean,
  outcome: Extract<RouteOutcome, 'failed' | 'timed_out'>,
  pump: ShardOutcome,
  retryAfterMs?: number,
): void => {
  const id = inflight.stepId;
  const max = tx.planStep(id).retry.maxAttempts;
  const step = tx.step(id);
  if (inflight.shard === undefined) {
    if (retryable && step.tries < max) {
      scheduleRetry(tx, dispatchId, inflight, step.tries, retryAfterMs);
      tx.setStatus(id, 'retry_wait');
    } else {
      settle(tx, id, outcome, error);
    }
    return;
  }
  const shards = [...(step.shards ?? [])];
  const index = shards.findIndex((s) => s.key === inflight.shard);
  const shard = shards[index] as ShardState;
  if (retryable && shard.tries < max) {
    scheduleRetry(tx, dispatchId, inflight, shard.tries, retryAfterMs);
    shards[index] = { ...shard, status: 'retry_wait' };
  } else {
    shards[index] = { ...shard, status: 'failed', error };
  }
  tx.patchStep(id, { shards });
  pump(tx, id);
};
