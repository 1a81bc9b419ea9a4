import type { Json, JsonObject } from '../../contracts/index.js';
import { resolveMapping } from '../resolve.js';
import { ACTIVE_STATUSES, type ShardState } from '../types.js';
import { failRun } from './finish.js';
import type { Tx } from './tx.js';

export const policyKey = (stepId: string, attempt: number): string => `policy:${stepId}/${attempt}`;
export const partitionKey = (stepId: string, attempt: number): string => `partition:${stepId}/${attempt}`;
export const approvalKey = (approvalId: string): string => `approval:${approvalId}`;

/**
 * Enters a step (a new visit): checks the route visit bound, resets the visit and asks the
 * policy gate (`policy.check`). Route entries into a step that is already active are no-ops.
 */
export const activate = (tx: Tx, id: string, viaRoute: boolean): void => {
  if (!tx.running) return;
  const step = tx.step(id);
  const plan = tx.planStep(id);
  if (ACTIVE_STATUSES.has(step.status)) return;
  if (viaRoute) {
    const limit = plan.maxVisits ?? 1;
    if (step.visits >= limit) {
      failRun(tx, `step ${id} was routed to more than ${limit} time(s)`, {
        stepId: id,
        reason: 'max_visits',
        maxVisits: limit,
      });
      return;
    }
  }
  const attempt = step.attempt + 1;
  tx.setStep(id, { status: 'policy_check', attempt, tries: 0, visits: step.visits + 1 });
  const request: JsonObject = {
    capabilities: plan.capabilities,
    sideEffects: plan.sideEffects,
    paths: plan.paths,
    idempotent: plan.idempotent,
    dryRun: tx.view.dryRun,
    with: plan.with,
  };
  if (plan.approval) request.approval = plan.approval.reason;
  if (plan.partition) request.partitioner = plan.partition.partitioner;
  if (tx.index.plan.kind !== undefined) request.kind = tx.index.plan.kind;
  tx.emit(
    { type: 'policy.check', data: { stepId: id, attempt, executor: plan.executor, request } },
    policyKey(id, attempt),
  );
};

/** After policy (and approval): a partition step asks for shards, any other step dispatches. */
export const begin = (tx: Tx, id: string): void => {
  const plan = tx.planStep(id);
  const step = tx.step(id);
  if (!plan.partition) {
    dispatch(tx, id);
    return;
  }
  tx.setStatus(id, 'partitioning');
  const input = resolveMapping(plan.input, { input: tx.view.input, steps: tx.view.steps });
  tx.emit(
    {
      type: 'partition.plan',
      data: {
        stepId: id,
        attempt: step.attempt,
        partitioner: plan.partition.partitioner,
        with: plan.partition.with,
        input,
      },
    },
    partitionKey(id, step.attempt),
  );
};

const shardInput = (tx: Tx, id: string, shard: ShardState): Json => {
  const plan = tx.planStep(id);
  if (Object.keys(plan.input).length === 0) return shard.input;
  return resolveMapping(plan.input, { input: tx.view.input, steps: tx.view.steps, shard: shard.input });
};

/**
 * Sends one `step.dispatch` for the step's current attempt (or for one shard), records it in
 * flight, and schedules its timeout timer when the step has `timeoutMs`.
 */
export const dispatch = (tx: Tx, id: string, shardIndex?: number): void => {
  const plan = tx.planStep(id);
  const step = tx.step(id);
  let attempt = step.attempt;
  let dispatchId = `${tx.runId}/${id}/${attempt}`;
  let input: Json;
  let shardKey: string | undefined;
  if (shardIndex === undefined) {
    input = resolveMapping(plan.input, { input: tx.view.input, steps: tx.view.steps });
    tx.patchStep(id, { status: 'dispatched', tries: step.tries + 1 });
  } else {
    const shards = [...(step.shards ?? [])];
    const shard = shards[shardIndex] as ShardState;
    attempt = shard.tries === 0 ? step.attempt : shard.attempt + 1;
    shardKey = shard.key;
    dispatchId = `${tx.runId}/${id}/${attempt}/${shard.key}`;
    input = shardInput(tx, id, shard);
    shards[shardIndex] = { ...shard, status: 'dispatched', attempt, tries: shard.tries + 1 };
    tx.patchStep(id, { status: 'dispatched', shards });
  }
  const data = {
    stepId: id,
    attempt,
    dispatchId,
    executor: plan.executor,
    input,
    idempotent: plan.idempotent,
    dryRun: tx.view.dryRun,
    with: plan.with,
    ...(shardKey !== undefined ? { shard: shardKey } : {}),
    ...(plan.timeoutMs !== undefined ? { timeoutMs: plan.timeoutMs } : {}),
    ...(step.grant !== undefined ? { grant: step.grant } : {}),
  };
  tx.emit({ type: 'step.dispatch', data }, dispatchId);
  let timerId: string | undefined;
  if (plan.timeoutMs !== undefined) {
    timerId = `${dispatchId}/timeout`;
    const fireAt = tx.at + plan.timeoutMs;
    tx.emit(
      { type: 'timer.schedule', data: { timerId, fireAt, purpose: 'step_timeout', stepId: id, attempt } },
      timerId,
    );
    tx.putTimer(timerId, { purpose: 'step_timeout', stepId: id, dispatchId, timeoutMs: plan.timeoutMs });
  }
  tx.putInflight(dispatchId, {
    stepId: id,
    attempt,
    ...(shardKey !== undefined ? { shard: shardKey } : {}),
    ...(timerId !== undefined ? { timerId } : {}),
  });
};

/** Cancels a timer that has not fired (emits `timer.cancel`). */
export const cancelTimer = (tx: Tx, timerId: string | undefined): void => {
  if (timerId === undefined || !tx.getTimer(timerId)) return;
  tx.dropTimer(timerId);
  tx.emit({ type: 'timer.cancel', data: { timerId } });
};

/** Closes an answered dispatch: out of flight, out of pending, its timeout cancelled. */
export const closeDispatch = (tx: Tx, dispatchId: string): void => {
  const inflight = tx.getInflight(dispatchId);
  tx.dropInflight(dispatchId);
  tx.dropPending(dispatchId);
  cancelTimer(tx, inflight?.timerId);
};
