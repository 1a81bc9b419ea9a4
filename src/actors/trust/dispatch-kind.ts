import type { ExecItem } from '../messages.js';
import { partitionDispatchId } from '../worker/dispatch-request.js';

export { partitionDispatchId };

/**
 * What a dispatch asks an executor to do. A fact must answer a dispatch of the same kind, a
 * seal names it, and a reply key is derived for it: a gate's reply key cannot prove a step's
 * fact even where their ids were made to collide.
 */
export type DispatchKind = 'step' | 'shard' | 'gate' | 'partition';

/** Everything that names a dispatch: its id, kind, run, step, attempt, shard or gate, executor. */
export interface DispatchRef {
  dispatchId: string;
  kind: DispatchKind;
  runId: string;
  jobId: string;
  stepId: string;
  attempt: number;
  shard?: string;
  gateId?: string;
  /** The executor (or, for a partition, the partitioner) asked. */
  executor: string;
}

/** The reference of an exec item, as the worker reads it off the dispatch (built without spreads: once per dispatch). */
export const dispatchRefOf = (item: ExecItem): DispatchRef => {
  const { runId, jobId } = item;
  const { stepId, attempt } = item.data;
  switch (item.kind) {
    case 'partition':
      return {
        runId,
        jobId,
        stepId,
        attempt,
        dispatchId: partitionDispatchId(runId, stepId, attempt),
        kind: 'partition',
        executor: item.data.partitioner,
      };
    case 'gate':
      return {
        runId,
        jobId,
        stepId,
        attempt,
        dispatchId: item.data.dispatchId,
        kind: 'gate',
        gateId: item.data.gateId,
        executor: item.data.executor,
      };
    case 'step': {
      const { dispatchId, shard, executor } = item.data;
      return shard !== undefined
        ? { runId, jobId, stepId, attempt, dispatchId, kind: 'shard', shard, executor }
        : { runId, jobId, stepId, attempt, dispatchId, kind: 'step', executor };
    }
  }
};
