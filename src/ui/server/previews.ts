import type { ApprovalView, RerunPreview, RunGraph, RunReceipt } from '../../client/index.js';
import type { Json } from '../../contracts/json.js';
import type { Preview } from '../model/wire.js';

const ACTIVE_RUN = new Set(['requested', 'running']);

const preview = (
  action: string,
  blocked: string | null,
  effects: string[],
  facts: Record<string, Json>,
): Preview => ({
  action,
  allowed: blocked === null,
  blocked,
  effects,
  facts,
});

/** Attempts of a receipt that are dispatched or running: what a cancel abandons. */
const openAttempts = (receipt: RunReceipt) =>
  receipt.steps.flatMap((s) =>
    s.attempts
      .filter((a) => a.outcome === 'dispatched' || a.outcome === 'running')
      .map((a) => ({
        stepId: s.stepId,
        attempt: a.attempt,
        shard: a.shard,
        worker: a.worker,
        dispatchId: a.dispatchId,
      })),
  );

/** What cancelling a run does, from its receipt. */
export const cancelPreview = (receipt: RunReceipt, by: string, reason: string | undefined): Preview => {
  const runId = receipt.runId ?? '';
  const blocked = ACTIVE_RUN.has(receipt.status)
    ? null
    : `the run is ${receipt.status}: only a queued or running run can be cancelled`;
  const open = openAttempts(receipt);
  const pending = receipt.approvals.filter((a) => a.status === 'pending');
  const effects = [
    `The scheduler records run.cancel_requested for run ${runId} (by ${by}${reason ? `, reason "${reason}"` : ''}), and the engine ends the run: run.completed with status cancelled.`,
    ...open.map(
      (a) =>
        `Step ${a.stepId} attempt ${a.attempt}${a.shard ? ` shard ${a.shard}` : ''} is ${a.worker ? `running on worker ${a.worker}` : 'dispatched'}: the run stops waiting for it, and its answer, if one comes, changes nothing.`,
    ),
    ...pending.map(
      (a) => `Approval ${a.approvalId} (step ${a.stepId}) is no longer needed: the run will not wait for it.`,
    ),
    'Timers of the run (retries, timeouts) are cancelled. Steps not started yet never start.',
  ];
  return preview('cancel', blocked, effects, {
    runId,
    status: receipt.status,
    inFlight: open.map((a) => a.dispatchId),
    pendingApprovals: pending.map((a) => a.approvalId),
  });
};

/** What re-running (fresh or a fork) does, from the client's rerun preview. */
export const rerunPreview = (p: RerunPreview): Preview => {
  const effects =
    p.kind === 'fork'
      ? [
          p.gatesOnly
            ? `A new run of job ${p.jobId} forks run ${p.parentRunId}: every step that succeeded keeps its recorded output, only the gates run again.`
            : `A new run of job ${p.jobId} forks run ${p.parentRunId} from step ${p.fromStep}: it and every step downstream of it run again.`,
          p.memoized.length > 0
            ? `Reused from the parent (not run): ${p.memoized.join(', ')}.`
            : 'No step output is reused: none of the steps before it had succeeded.',
          `Run again: ${p.rerun.length > 0 ? p.rerun.join(', ') : 'nothing but the gates'}.`,
          `The new run pins the parent's plan (${p.planHash.slice(0, 12)}) and input; the parent's log is not touched.`,
        ]
      : [
          `A new run of job ${p.jobId} with the job's plan as it is now (${p.planHash.slice(0, 12)})${
            p.parentPlanHash === null
              ? '.'
              : p.parentPlanHash === p.planHash
                ? ', the same plan the parent pinned.'
                : `: the job changed since run ${p.parentRunId} (which pinned ${p.parentPlanHash.slice(0, 12)}).`
          }`,
          `Every step runs: ${p.rerun.join(', ')}.`,
          'Its input is the parent run input with your changes applied, checked against the blueprint before anything runs.',
        ];
  return preview('rerun', null, effects, {
    kind: p.kind,
    parentRunId: p.parentRunId,
    fromStep: p.fromStep,
    gatesOnly: p.gatesOnly,
    memoized: p.memoized,
    rerun: p.rerun,
    planHash: p.planHash,
    parentPlanHash: p.parentPlanHash,
    input: p.input,
  });
};

/** What answering an indeterminate (or timed-out non-idempotent) dispatch does. */
export const resolvePreview = (
  receipt: RunReceipt,
  graph: RunGraph | null,
  dispatchId: string,
  outcome: 'succeeded' | 'failed',
): Preview => {
  const step = receipt.steps.find((s) => s.attempts.some((a) => a.dispatchId === dispatchId));
  const attempt = step?.attempts.find((a) => a.dispatchId === dispatchId);
  const g = graph?.steps.find((s) => s.id === step?.stepId);
  const answerable = attempt?.outcome === 'indeterminate' || attempt?.outcome === 'timed_out';
  const blocked = !attempt
    ? `run ${receipt.runId} has no dispatch ${dispatchId}`
    : !ACTIVE_RUN.has(receipt.status)
      ? `the run is ${receipt.status}`
      : !answerable
        ? `dispatch ${dispatchId} is ${attempt.outcome}: only an indeterminate dispatch waits for an operator`
        : null;
  const routes = g?.routes.filter((r) => r.on === outcome) ?? [];
  const downstream = graph?.steps.filter((s) => s.needs.includes(step?.stepId ?? '')).map((s) => s.id) ?? [];
  const effects =
    outcome === 'succeeded'
      ? [
          `The run records step.succeeded for ${dispatchId}, as if the worker had answered: you say the effect happened.`,
          downstream.length > 0
            ? `Then steps waiting on ${step?.stepId} can start: ${downstream.join(', ')}.`
            : 'Then the run carries on.',
        ]
      : [
          `The run records step.failed for ${dispatchId} (not retryable): you say the effect did not happen.`,
          routes.length > 0
            ? `The step's route on failed sends the run to ${routes.map((r) => r.to).join(', ')}.`
            : `Step ${step?.stepId} fails, and with it the run.`,
        ];
  return preview('resolve', blocked, effects, {
    dispatchId,
    stepId: step?.stepId ?? null,
    attempt: attempt?.attempt ?? null,
    outcome,
    current: attempt?.outcome ?? null,
  });
};

/** What granting or denying an approval does, with the step it lets run. */
export const approvalPreview = (
  approval: ApprovalView,
  graph: RunGraph | null,
  command: Json,
  decision: 'grant' | 'deny',
): Preview => {
  const blocked =
    approval.status === 'pending' ? null : `approval ${approval.approvalId} was already ${approval.status}`;
  const step = graph?.steps.find((s) => s.id === approval.stepId);
  const effects =
    decision === 'grant'
      ? [
          `approval.granted is appended to approval/${approval.approvalId}, then delivered to run ${approval.runId}.`,
          `Step ${approval.stepId} (attempt ${approval.attempt}) is dispatched to the ${step?.executor ?? 'its'} executor${
            command === null ? '.' : ` and runs ${JSON.stringify(command)}.`
          }`,
        ]
      : [
          `approval.denied is appended to approval/${approval.approvalId}, then delivered to run ${approval.runId}.`,
          `Step ${approval.stepId} fails without running, and with it the run (unless a route on failed says otherwise).`,
        ];
  return preview(decision, blocked, effects, {
    approvalId: approval.approvalId,
    runId: approval.runId ?? null,
    stepId: approval.stepId,
    reason: approval.reason,
    command,
  });
};
