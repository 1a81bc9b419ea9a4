import type { CANCEL_REASONS } from '../../contracts/index.js';
import type { Inflight } from '../types.js';
import type { Tx } from './tx.js';

export type CancelReason = (typeof CANCEL_REASONS)[number];

/** Runs started under machine version 2 or later cancel the dispatches they abandon. */
const cancels = (tx: Tx): boolean => (tx.view.machine ?? 1) >= 2;

const executorOf = (tx: Tx, inflight: Inflight): string => {
  const plan = tx.planStep(inflight.stepId);
  if (inflight.gateId === undefined) return plan.executor;
  return plan.gates.find((g) => g.id === inflight.gateId)?.executor ?? plan.executor;
};

/**
 * Emits `step.cancel` for one dispatch the run no longer waits for (a record plus a message to
 * the workers of its executor: the one running it stops its process). Not pending: a cancel
 * is never re-sent, the dispatch is already out of flight.
 */
export const cancelDispatch = (
  tx: Tx,
  dispatchId: string,
  inflight: Inflight,
  reason: CancelReason,
): void => {
  if (!cancels(tx)) return;
  tx.emit({
    type: 'step.cancel',
    data: {
      stepId: inflight.stepId,
      attempt: inflight.attempt,
      dispatchId,
      executor: executorOf(tx, inflight),
      reason,
      ...(inflight.shard !== undefined ? { shard: inflight.shard } : {}),
      ...(inflight.gateId !== undefined ? { gateId: inflight.gateId } : {}),
    },
  });
};

/** Cancels every dispatch still in flight, in dispatch id order (the run is ending). */
export const cancelInflight = (tx: Tx, reason: CancelReason): void => {
  if (!cancels(tx)) return;
  const inflight = tx.view.inflight;
  for (const dispatchId of Object.keys(inflight).sort()) {
    cancelDispatch(tx, dispatchId, inflight[dispatchId] as Inflight, reason);
  }
};
