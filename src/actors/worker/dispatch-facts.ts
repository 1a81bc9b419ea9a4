import type { ExecutionResult } from '../../contracts/executor.js';
import { isStepError, stepFailureOf } from '../../contracts/executor.js';
import type { Json } from '../../contracts/json.js';
import { errorInfo } from '../error-info.js';
import type { ExecItem, InboundEvent } from '../messages.js';
import { dispatchIdOf } from './dispatch-request.js';

/**
 * The facts a worker replies for a dispatch, as pure functions of the item and what happened
 * (time and producer come in as `stamp`). Fact ids are deterministic per dispatch
 * (`<dispatchId>/started`, `/succeeded`, ...), so a re-sent reply dedupes at the run host.
 */
export interface FactStamp {
  at: number;
  producer: string;
}

type StepOrGate = Exclude<ExecItem, { kind: 'partition' }>;

const fact = (stamp: FactStamp, id: string, type: string, data: unknown): InboundEvent => ({
  id,
  type,
  at: stamp.at,
  data,
  producer: stamp.producer,
});

/** The dispatch reference of a step or gate fact (with the shard of a sharded step). */
export const dispatchRef = (item: StepOrGate) => ({
  dispatchId: item.data.dispatchId,
  stepId: item.data.stepId,
  attempt: item.data.attempt,
  ...(item.kind === 'step' && item.data.shard !== undefined ? { shard: item.data.shard } : {}),
});

/** Where an attempt runs: the worker's machine and what it ran against (its workspace's commit, ...). */
export interface AttemptPlace {
  host?: string;
  env?: Record<string, string>;
}

/** `step.started` for a step dispatch (gates and partitions have none), naming the worker and where it runs. */
export const startedFacts = (
  item: ExecItem,
  worker: string,
  stamp: FactStamp,
  place: AttemptPlace = {},
): InboundEvent[] =>
  item.kind === 'step'
    ? [
        fact(stamp, `${item.data.dispatchId}/started`, 'step.started', {
          ...dispatchRef(item),
          worker,
          ...(place.host === undefined ? {} : { host: place.host }),
          ...(place.env === undefined ? {} : { env: place.env }),
        }),
      ]
    : [];

/** `partition.planned` with the shards a partitioner returned. */
export const plannedFact = (
  item: Extract<ExecItem, { kind: 'partition' }>,
  shards: { key: string; input: Json }[],
  stamp: FactStamp,
): InboundEvent => {
  const { stepId, attempt, partitioner } = item.data;
  return fact(stamp, `${dispatchIdOf(item)}/planned`, 'partition.planned', {
    stepId,
    attempt,
    partitioner,
    shards,
  });
};

/** `gate.passed` or `step.succeeded` for an executor's result. */
export const succeededFact = (
  item: StepOrGate,
  result: ExecutionResult,
  durationMs: number,
  stamp: FactStamp,
): InboundEvent => {
  const { dispatchId } = item.data;
  if (item.kind === 'gate') {
    return fact(stamp, `${dispatchId}/passed`, 'gate.passed', {
      ...dispatchRef(item),
      gateId: item.data.gateId,
      output: result.output,
    });
  }
  return fact(stamp, `${dispatchId}/succeeded`, 'step.succeeded', {
    ...dispatchRef(item),
    output: result.output,
    artifacts: result.artifacts,
    durationMs,
  });
};

/**
 * The fact for a failed dispatch: `gate.failed` for a gate; `step.indeterminate` for a
 * non-idempotent step whose process was killed mid-way (its effect may or may not have
 * happened: an operator answers it, it is never retried blindly); otherwise `step.failed` with
 * what the error says about retrying (`stepFailureOf`: terminal, retryable, `retryAfterMs`).
 */
export const failureFact = (
  item: ExecItem,
  e: unknown,
  durationMs: number,
  stamp: FactStamp,
): InboundEvent => {
  const dispatchId = dispatchIdOf(item);
  const error = errorInfo(e);
  const failure = stepFailureOf(e);
  if (item.kind === 'gate') {
    const required = (item.data.input as { required?: boolean } | null)?.required ?? true;
    return fact(stamp, `${dispatchId}/failed`, 'gate.failed', {
      ...dispatchRef(item),
      gateId: item.data.gateId,
      required,
      error,
    });
  }
  const outcome = { error, ...failure, durationMs };
  if (item.kind === 'partition') {
    const { stepId, attempt } = item.data;
    return fact(stamp, `${dispatchId}/failed`, 'step.failed', { stepId, attempt, dispatchId, ...outcome });
  }
  if (!item.data.idempotent && isStepError(e) && e.data.killed === true) {
    return fact(stamp, `${dispatchId}/indeterminate`, 'step.indeterminate', {
      ...dispatchRef(item),
      reason: `killed mid-step: ${error.message}`,
    });
  }
  return fact(stamp, `${dispatchId}/failed`, 'step.failed', { ...dispatchRef(item), ...outcome });
};
