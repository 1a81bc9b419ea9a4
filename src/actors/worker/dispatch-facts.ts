import type { END_REASONS } from '../../contracts/events/catalog.js';
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

/** Why a dispatch's work ended (`endReason` of its fact). */
export type EndReason = (typeof END_REASONS)[number];

/** `endedAt`/`endReason` of a step fact: the work ended when the fact was made. */
const endedOf = (stamp: FactStamp, reason: EndReason) => ({ endedAt: stamp.at, endReason: reason });

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
    ...(result.truncated && result.truncated.length > 0 ? { truncated: result.truncated } : {}),
    ...endedOf(stamp, 'exited'),
  });
};

/** Why the work of a failed dispatch ended: its own timeout, a shutdown, or by itself. */
export const failureEndReason = (e: unknown, shutdown: boolean): EndReason => {
  if (isStepError(e) && e.data.timedOut === true) return 'step_timeout';
  if (shutdown && isStepError(e) && e.data.killed === true) return 'shutdown';
  return 'exited';
};

/**
 * The fact for a failed dispatch: `gate.failed` for a gate; `step.indeterminate` for a
 * non-idempotent step whose process was killed mid-way (its effect may or may not have
 * happened: an operator answers it, it is never retried blindly); otherwise `step.failed` with
 * what the error says about retrying (`stepFailureOf`: terminal, retryable, `retryAfterMs`).
 * Step facts say when and why the work ended (`end`, default from the error).
 */
export const failureFact = (
  item: ExecItem,
  e: unknown,
  durationMs: number,
  stamp: FactStamp,
  end: EndReason = failureEndReason(e, false),
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
      ...endedOf(stamp, end),
    });
  }
  const truncated = isStepError(e) && Array.isArray(e.data.truncated) ? { truncated: e.data.truncated } : {};
  return fact(stamp, `${dispatchId}/failed`, 'step.failed', {
    ...dispatchRef(item),
    ...outcome,
    ...truncated,
    ...endedOf(stamp, end),
  });
};

/**
 * The fact for a dispatch the run cancelled (`reason`): never started (`started: false`, it was
 * still queued or arrived after the cancel), or stopped mid-way. A non-idempotent step that was
 * running is `step.indeterminate` (part of its effect may have happened); anything else is
 * `step.cancelled`. Partitions are never cancelled (they run in-process and do no side effect).
 */
export const cancelledFact = (
  item: StepOrGate,
  reason: EndReason,
  stamp: FactStamp,
  ran?: { error: unknown; durationMs: number },
): InboundEvent => {
  const dispatchId = item.data.dispatchId;
  const gate = item.kind === 'gate' ? { gateId: item.data.gateId } : {};
  if (ran && item.kind === 'step' && !item.data.idempotent) {
    return fact(stamp, `${dispatchId}/indeterminate`, 'step.indeterminate', {
      ...dispatchRef(item),
      reason: `stopped mid-step (${reason}): ${errorInfo(ran.error).message}`,
      ...endedOf(stamp, reason),
    });
  }
  return fact(stamp, `${dispatchId}/cancelled`, 'step.cancelled', {
    ...dispatchRef(item),
    ...gate,
    started: ran !== undefined,
    ...(ran ? { durationMs: ran.durationMs, error: errorInfo(ran.error) } : {}),
    ...endedOf(stamp, reason),
  });
};
