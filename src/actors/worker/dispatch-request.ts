import type { ExecutionRequest } from '../../contracts/executor.js';
import type { Json } from '../../contracts/json.js';
import type { ExecItem } from '../messages.js';

/** The dispatch id of a partition request (`partition.requested` carries none): `<runId>/<stepId>/<attempt>:partition`. */
export const partitionDispatchId = (runId: string, stepId: string, attempt: number): string =>
  `${runId}/${stepId}/${attempt}:partition`;

/** The dispatch id of an item: the step's or gate's own, or the partition request's (derived). */
export const dispatchIdOf = (item: ExecItem): string =>
  item.kind === 'partition'
    ? partitionDispatchId(item.runId, item.data.stepId, item.data.attempt)
    : item.data.dispatchId;

/** What an executor or partitioner is asked: the item's ids, configuration, input and limits. */
export const toRequest = (item: ExecItem): ExecutionRequest => {
  // Built field by field (no spreads): one per dispatch, on the worker's hot path.
  const { runId, jobId } = item;
  const { stepId, attempt } = item.data;
  if (item.kind === 'partition') {
    const dispatchId = dispatchIdOf(item);
    const w = item.data.with as Record<string, Json>;
    return { runId, jobId, stepId, attempt, dispatchId, with: w, input: item.data.input, dryRun: false };
  }
  if (item.kind === 'gate') {
    const input = (item.data.input ?? {}) as {
      with?: Record<string, Json>;
      output?: Json;
      timeoutMs?: number;
    };
    const request: ExecutionRequest = {
      runId,
      jobId,
      stepId,
      attempt,
      dispatchId: item.data.dispatchId,
      with: input.with ?? {},
      input: input.output ?? null,
      dryRun: false,
    };
    if (input.timeoutMs !== undefined) request.timeoutMs = input.timeoutMs;
    return request;
  }
  const d = item.data as typeof item.data & { with?: Record<string, Json> };
  const request: ExecutionRequest = {
    runId,
    jobId,
    stepId,
    attempt,
    dispatchId: d.dispatchId,
    with: d.with ?? {},
    input: d.input,
    dryRun: d.dryRun,
  };
  if (d.timeoutMs !== undefined) request.timeoutMs = d.timeoutMs;
  return request;
};
