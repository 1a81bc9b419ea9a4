import type { ArtifactRef, ErrorInfo } from '../../contracts/index.js';
import { resolveMapping } from '../resolve.js';
import { ACTIVE_STATUSES, type RunOutcome } from '../types.js';
import { type CancelReason, cancelInflight } from './cancel.js';
import type { Tx } from './tx.js';

/** Builds the run's BlueprintRunEnvelope: artifacts of succeeded steps, plan output as payload. */
const envelopeOf = (tx: Tx, status: RunOutcome['status']): RunOutcome['envelope'] => {
  const artifacts: ArtifactRef[] = [];
  for (const id of tx.index.order) {
    const step = tx.step(id);
    if (step.status === 'succeeded' && step.artifacts) artifacts.push(...step.artifacts);
  }
  const view = tx.view;
  return {
    status,
    artifacts,
    references: { runId: view.runId, planHash: view.planHash },
    payload: resolveMapping(tx.index.plan.output, { input: view.input, steps: view.steps }),
  };
};

/** Why the dispatches still in flight are cancelled when the run ends this way. */
const cancelReason = (status: RunOutcome['status'], error?: ErrorInfo): CancelReason => {
  if (status === 'cancelled') return 'cancelled';
  if (status === 'succeeded') return 'run_finished';
  return error?.data.reason === 'run_timed_out' ? 'run_timeout' : 'sibling_failed';
};

/**
 * Ends the run once: steps still waiting are skipped (`step.skip`), steps in flight are
 * cancelled (with a `step.cancel` per dispatch in flight, from machine version 2), every
 * pending timer is cancelled, and `run.complete` is emitted last.
 * A no-op when the run already ended.
 */
export const finishRun = (tx: Tx, status: RunOutcome['status'], error?: ErrorInfo): void => {
  if (!tx.running) return;
  for (const id of tx.index.order) {
    const step = tx.step(id);
    if (step.status === 'waiting') {
      const reason =
        status === 'succeeded'
          ? tx.planStep(id).start === 'route'
            ? 'not_routed'
            : 'needs_not_met'
          : `run_${status}`;
      tx.setStatus(id, 'skipped');
      tx.emit({ type: 'step.skip', data: { stepId: id, reason } });
    } else if (ACTIVE_STATUSES.has(step.status)) {
      tx.setStatus(id, 'cancelled');
    }
  }
  cancelInflight(tx, cancelReason(status, error));
  for (const timerId of Object.keys(tx.view.timers)) {
    tx.emit({ type: 'timer.cancel', data: { timerId } });
  }
  const outcome: RunOutcome = error
    ? { status, envelope: envelopeOf(tx, status), error }
    : { status, envelope: envelopeOf(tx, status) };
  tx.emit({ type: 'run.complete', data: outcome });
  tx.finish(outcome);
};

/**
 * Fails the run. A step the policy gate denied fails it with `job_policy_denied` (the runbook's
 * code for "inspect capability and approval requirements"); anything else is
 * `job_execution_failed`. The step's own error is in `data.error`.
 */
export const failRun = (tx: Tx, message: string, data: Record<string, unknown>): void => {
  const cause = (data.error as { code?: unknown } | undefined)?.code;
  const code = cause === 'job_policy_denied' ? 'job_policy_denied' : 'job_execution_failed';
  finishRun(tx, 'failed', { code, message, data });
};

/** When nothing is active any more, the run is over: skip what never started and succeed. */
export const settleIfQuiet = (tx: Tx): void => {
  if (tx.running && tx.view.active === 0) finishRun(tx, 'succeeded');
};
