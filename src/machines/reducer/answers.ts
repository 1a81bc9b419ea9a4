import type { ErrorInfo, EventData, Json } from '../../contracts/index.js';
import type { ShardState } from '../types.js';
import { failRun } from './finish.js';
import { afterSuccess } from './gates.js';
import { approvalKey, begin, cancelTimer, closeDispatch, dispatch, policyKey } from './lifecycle.js';
import { onPartitionFailed, pump } from './partition.js';
import { onDispatchFailed } from './retry.js';
import { settle } from './settle.js';
import type { Tx } from './tx.js';

const denied = (message: string, data: Record<string, unknown>): ErrorInfo => ({
  code: 'job_policy_denied',
  message,
  data,
});

/** `policy.decided`: allow dispatches (or asks for approval), deny fails the step (not retried). */
export const onPolicyDecided = (tx: Tx, d: EventData<'policy.decided'>): void => {
  const step = tx.step(d.stepId);
  if (step?.status !== 'policy_check' || step.attempt !== d.attempt) return;
  tx.dropPending(policyKey(d.stepId, d.attempt));
  if (d.decision === 'deny') {
    const reason = d.reasons.join('; ') || 'denied by policy';
    settle(
      tx,
      d.stepId,
      'failed',
      denied(reason, {
        reasons: d.reasons,
        ...(d.rule ? { rule: d.rule } : {}),
        ...(d.fix ? { fix: d.fix } : {}),
      }),
    );
    return;
  }
  const grant = d.grant !== undefined ? { grant: d.grant } : {};
  const plan = tx.planStep(d.stepId);
  if (d.decision === 'approval_required' || plan.approval) {
    const approvalId = d.approvalId ?? `${tx.runId}/${d.stepId}/${d.attempt}/approval`;
    const reason = plan.approval?.reason ?? (d.reasons.join('; ') || 'approval required by policy');
    tx.patchStep(d.stepId, { status: 'awaiting_approval', approvalId, ...grant });
    tx.emit(
      { type: 'approval.request', data: { stepId: d.stepId, attempt: d.attempt, approvalId, reason } },
      approvalKey(approvalId),
    );
    return;
  }
  tx.patchStep(d.stepId, grant);
  begin(tx, d.stepId);
};

/** `approval.granted` / `approval.denied` for the approval the step waits on. */
export const onApproval = (
  tx: Tx,
  d: EventData<'approval.granted'> | EventData<'approval.denied'>,
  granted: boolean,
): void => {
  const step = tx.step(d.stepId);
  if (step?.status !== 'awaiting_approval' || step.approvalId !== d.approvalId) return;
  tx.dropPending(approvalKey(d.approvalId));
  if (granted) begin(tx, d.stepId);
  else {
    const reason = 'reason' in d ? d.reason : 'denied';
    settle(
      tx,
      d.stepId,
      'failed',
      denied(`approval denied by ${d.by}: ${reason}`, { approvalId: d.approvalId, by: d.by, reason }),
    );
  }
};

/** Checks an output against the step's `outputSchema` (looked up by name); undefined when valid. */
const checkOutput = (tx: Tx, stepId: string, output: Json): ErrorInfo | undefined => {
  const name = tx.planStep(stepId).outputSchema;
  if (name === undefined) return undefined;
  const schema = tx.index.schemas.get(name);
  if (!schema) {
    return {
      code: 'blueprint_execution_failed',
      message: `output schema ${name} is not registered`,
      data: { schema: name, issues: [] },
    };
  }
  const result = schema.safeParse(output);
  if (result.success) return undefined;
  return {
    code: 'blueprint_execution_failed',
    message: `output of ${stepId} does not match ${name}`,
    data: {
      schema: name,
      issues: result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    },
  };
};

const updateShard = (tx: Tx, stepId: string, key: string, patch: Partial<ShardState>): void => {
  const shards = (tx.step(stepId).shards ?? []).map((s) => (s.key === key ? { ...s, ...patch } : s));
  tx.patchStep(stepId, { shards });
};

/** `step.succeeded`: validate the output, then gates / settle (or fan in a shard). */
export const onStepSucceeded = (tx: Tx, d: EventData<'step.succeeded'>): void => {
  const inflight = tx.getInflight(d.dispatchId);
  if (!inflight || inflight.gateId !== undefined) return;
  closeDispatch(tx, d.dispatchId);
  const invalid = checkOutput(tx, inflight.stepId, d.output);
  if (invalid) {
    onDispatchFailed(tx, d.dispatchId, inflight, invalid, false, 'failed', pump);
    return;
  }
  if (inflight.shard !== undefined) {
    updateShard(tx, inflight.stepId, inflight.shard, { status: 'succeeded', output: d.output });
    pump(tx, inflight.stepId);
    return;
  }
  tx.patchStep(inflight.stepId, { output: d.output, artifacts: d.artifacts });
  afterSuccess(tx, inflight.stepId);
};

/** `step.failed`: retry when retryable and tries remain, else fail the step (or shard); a partitioner's fails its step. */
export const onStepFailed = (tx: Tx, d: EventData<'step.failed'>): void => {
  const inflight = tx.getInflight(d.dispatchId);
  if (!inflight) {
    onPartitionFailed(tx, d);
    return;
  }
  if (inflight.gateId !== undefined) return;
  closeDispatch(tx, d.dispatchId);
  onDispatchFailed(tx, d.dispatchId, inflight, d.error, d.retryable, 'failed', pump, d.retryAfterMs);
};

/**
 * `step.indeterminate`: a non-idempotent dispatch was found in flight after a crash. It is
 * not re-sent; the step waits until an operator appends `step.succeeded` / `step.failed`
 * for that dispatch id, or cancels the run.
 */
export const onIndeterminate = (tx: Tx, d: EventData<'step.indeterminate'>): void => {
  const inflight = tx.getInflight(d.dispatchId);
  if (!inflight || inflight.gateId !== undefined || tx.planStep(inflight.stepId).idempotent) return;
  tx.dropPending(d.dispatchId);
  cancelTimer(tx, inflight.timerId);
  tx.putInflight(d.dispatchId, {
    stepId: inflight.stepId,
    attempt: inflight.attempt,
    ...(inflight.shard !== undefined ? { shard: inflight.shard } : {}),
  });
  if (inflight.shard !== undefined)
    updateShard(tx, inflight.stepId, inflight.shard, { status: 'indeterminate' });
  tx.setStatus(inflight.stepId, 'indeterminate');
};

/** `timer.fired`: a retry is due, a dispatch timed out, or the run timed out. */
export const onTimerFired = (tx: Tx, d: EventData<'timer.fired'>): void => {
  const timer = tx.getTimer(d.timerId);
  if (!timer) return;
  tx.dropTimer(d.timerId);
  if (timer.purpose === 'run_timeout') {
    failRun(tx, 'run timed out', { reason: 'run_timed_out', timeoutMs: timer.timeoutMs ?? null });
    return;
  }
  const stepId = timer.stepId as string;
  if (timer.purpose === 'retry') {
    const step = tx.step(stepId);
    if (timer.shard === undefined) {
      if (step.status !== 'retry_wait') return;
      tx.patchStep(stepId, { attempt: step.attempt + 1 });
      dispatch(tx, stepId);
      return;
    }
    const index = (step.shards ?? []).findIndex((s) => s.key === timer.shard && s.status === 'retry_wait');
    if (index >= 0) dispatch(tx, stepId, index);
    tx.setStatus(
      stepId,
      (tx.step(stepId).shards ?? []).some((s) => s.status === 'indeterminate')
        ? 'indeterminate'
        : 'dispatched',
    );
    return;
  }
  const dispatchId = timer.dispatchId as string;
  const inflight = tx.getInflight(dispatchId);
  if (!inflight) return;
  tx.dropInflight(dispatchId);
  tx.dropPending(dispatchId);
  const timeoutMs = timer.timeoutMs ?? 0;
  tx.emit({ type: 'step.time_out', data: { stepId, attempt: inflight.attempt, dispatchId, timeoutMs } });
  if (!tx.planStep(stepId).idempotent) {
    // Whether a non-idempotent effect happened is unknown (its worker may have died mid-way):
    // never retried blindly, it waits for an operator to answer for this dispatch id.
    tx.putInflight(dispatchId, {
      stepId,
      attempt: inflight.attempt,
      ...(inflight.shard !== undefined ? { shard: inflight.shard } : {}),
    });
    if (inflight.shard !== undefined) updateShard(tx, stepId, inflight.shard, { status: 'indeterminate' });
    tx.setStatus(stepId, 'indeterminate');
    return;
  }
  const error = {
    code: 'blueprint_execution_failed',
    message: `${stepId} timed out after ${timeoutMs} ms`,
    data: { reason: 'timed_out', timeoutMs },
  };
  onDispatchFailed(tx, dispatchId, inflight, error, tx.planStep(stepId).idempotent, 'timed_out', pump);
};
