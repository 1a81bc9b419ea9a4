import type { ErrorInfo, Json } from '../../contracts/index.js';
import type { ShardState } from '../types.js';
import { cancelDispatch } from './cancel.js';
import { afterSuccess } from './gates.js';
import { cancelTimer, closeDispatch, dispatch, partitionKey } from './lifecycle.js';
import { settle } from './settle.js';
import type { Tx } from './tx.js';

const RUNNING = new Set(['dispatched', 'retry_wait', 'indeterminate']);

/** Stops every running shard of a step (fail fast): out of flight, timers cancelled, work cancelled. */
const stopShards = (tx: Tx, id: string, shards: ShardState[]): void => {
  for (let i = 0; i < shards.length; i++) {
    const shard = shards[i] as ShardState;
    if (!RUNNING.has(shard.status) && shard.status !== 'pending') continue;
    const dispatchId = `${tx.runId}/${id}/${shard.attempt}/${shard.key}`;
    const inflight = tx.getInflight(dispatchId);
    if (shard.status === 'retry_wait') cancelTimer(tx, `${dispatchId}/retry`);
    else if (shard.status !== 'pending') closeDispatch(tx, dispatchId);
    if (inflight) cancelDispatch(tx, dispatchId, inflight, 'sibling_failed');
    shards[i] = { ...shard, status: 'cancelled' };
  }
};

/**
 * Drives a partition step: dispatches pending shards up to `concurrency`, and fans in when
 * every shard is done. `fail_fast` fails the step at the first failed shard and stops the
 * others; `collect` runs every shard and then fails with all failures listed. Success yields
 * `{ shards: [{ key, output }] }` in shard order, then the step's gates run.
 */
export const pump = (tx: Tx, id: string): void => {
  const plan = tx.planStep(id);
  const partition = plan.partition;
  const step = tx.step(id);
  if (!partition || (step.status !== 'dispatched' && step.status !== 'indeterminate')) return;
  const shards = [...(step.shards ?? [])];
  const failed = shards.filter((s) => s.status === 'failed');
  const lastAttempt = Math.max(step.attempt, ...shards.map((s) => s.attempt));
  const failure = () => ({
    code: 'blueprint_execution_failed',
    message: `${failed.length} shard(s) of ${id} failed`,
    data: { mode: partition.mode, failures: failed.map((s) => ({ key: s.key, error: s.error ?? null })) },
  });
  if (failed.length > 0 && partition.mode === 'fail_fast') {
    stopShards(tx, id, shards);
    tx.patchStep(id, { shards, attempt: lastAttempt });
    settle(tx, id, 'failed', failure());
    return;
  }
  let running = shards.filter((s) => RUNNING.has(s.status)).length;
  for (let i = 0; i < shards.length && running < partition.concurrency; i++) {
    if (shards[i]?.status !== 'pending') continue;
    dispatch(tx, id, i);
    running++;
  }
  const now = tx.step(id).shards ?? [];
  if (now.every((s) => !RUNNING.has(s.status) && s.status !== 'pending')) {
    tx.patchStep(id, { attempt: Math.max(lastAttempt, ...now.map((s) => s.attempt)) });
    if (failed.length > 0) {
      settle(tx, id, 'failed', failure());
      return;
    }
    const output: Json = { shards: now.map((s) => ({ key: s.key, output: s.output ?? null })) };
    tx.patchStep(id, { output });
    afterSuccess(tx, id);
    return;
  }
  tx.setStatus(id, now.some((s) => s.status === 'indeterminate') ? 'indeterminate' : 'dispatched');
};

/** `partition.planned`: the step's shards arrived; duplicate keys fail the step. */
export const onPartitionPlanned = (
  tx: Tx,
  data: { stepId: string; attempt: number; shards: readonly { key: string; input: Json }[] },
  pendingKey: string,
): void => {
  const step = tx.step(data.stepId);
  if (step?.status !== 'partitioning' || step.attempt !== data.attempt) return;
  tx.dropPending(pendingKey);
  const keys = data.shards.map((s) => s.key);
  const duplicates = keys.filter((k, i) => keys.indexOf(k) !== i);
  if (duplicates.length > 0) {
    settle(tx, data.stepId, 'failed', {
      code: 'blueprint_execution_failed',
      message: `partitioner returned duplicate shard keys: ${[...new Set(duplicates)].join(', ')}`,
      data: { duplicates: [...new Set(duplicates)] },
    });
    return;
  }
  const shards: ShardState[] = data.shards.map((s) => ({
    key: s.key,
    input: s.input,
    status: 'pending',
    attempt: 0,
    tries: 0,
  }));
  tx.patchStep(data.stepId, { status: 'dispatched', shards });
  pump(tx, data.stepId);
};

/**
 * A partitioner's `step.failed` (machine version 3 on): the partition request is answered and
 * the step fails with the partitioner's error, then follows its `failed` route. A partitioner
 * is asked once per visit: `retry` applies to the shards it plans, not to it. Runs started
 * under an older version ignore it, as they did (their logs still verify).
 */
export const onPartitionFailed = (
  tx: Tx,
  data: { stepId: string; attempt: number; dispatchId: string; error: ErrorInfo },
): void => {
  if ((tx.view.machine ?? 1) < 3) return;
  const { stepId, attempt } = data;
  if (data.dispatchId !== `${tx.runId}/${stepId}/${attempt}:partition`) return;
  if (!tx.index.byId.has(stepId)) return;
  const step = tx.step(stepId);
  if (step?.status !== 'partitioning' || step.attempt !== attempt) return;
  tx.dropPending(partitionKey(stepId, attempt));
  settle(tx, stepId, 'failed', data.error);
};
