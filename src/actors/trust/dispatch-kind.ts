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

/** The reference of an exec item, as the worker reads it off the dispatch. */
export const dispatchRefOf = (item: ExecItem): DispatchRef => {
  const base = { runId: item.runId, jobId: item.jobId, stepId: item.data.stepId, attempt: item.data.attempt };
  switch (item.kind) {
    case 'partition':
      return {
        ...base,
        dispatchId: partitionDispatchId(item.runId, item.data.stepId, item.data.attempt),
        kind: 'partition',
        executor: item.data.partitioner,
      };
    case 'gate':
      return {
        ...base,
        dispatchId: item.data.dispatchId,
        kind: 'gate',
        gateId: item.data.gateId,
        executor: item.data.executor,
      };
    case 'step':
      return {
        ...base,
        dispatchId: item.data.dispatchId,
        ...(item.data.shard !== undefined
          ? { kind: 'shard' as const, shard: item.data.shard }
          : { kind: 'step' }),
        executor: item.data.executor,
      };
  }
};
