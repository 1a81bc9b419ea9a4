import type { Command, RunEvent, RunState } from './types.js';

/** How the simulated world answers commands: a bounded model for graphs and property tests. */
export interface EnvironmentOptions {
  /** Shard counts a partitioner may return (default [0, 2]). */
  readonly shardCounts?: readonly number[];
  /** Offer `run.cancel_requested` while the run is running (default true). */
  readonly cancel?: boolean;
  /** Offer `step.indeterminate` for non-idempotent dispatches (default true). */
  readonly indeterminate?: boolean;
  /** Offer `approval_required` policy decisions (default true). */
  readonly approvals?: boolean;
}

const answersTo = (command: Command, at: number, options: EnvironmentOptions, runId: string): RunEvent[] => {
  switch (command.type) {
    case 'policy.check': {
      const { stepId, attempt } = command.data;
      const decided = (decision: string) => ({
        type: 'policy.decided',
        at,
        data: { stepId, attempt, decision, reasons: [] },
      });
      return options.approvals === false
        ? [decided('allow'), decided('deny')]
        : [decided('allow'), decided('deny'), decided('approval_required')];
    }
    case 'approval.request': {
      const { stepId, attempt, approvalId } = command.data;
      return [
        { type: 'approval.granted', at, data: { stepId, attempt, approvalId, by: 'sim' } },
        { type: 'approval.denied', at, data: { stepId, attempt, approvalId, by: 'sim', reason: 'sim' } },
      ];
    }
    case 'partition.plan': {
      const { stepId, attempt, partitioner } = command.data;
      const planned: RunEvent[] = (options.shardCounts ?? [0, 2]).map((n) => ({
        type: 'partition.planned',
        at,
        data: {
          stepId,
          attempt,
          partitioner,
          shards: Array.from({ length: n }, (_, i) => ({ key: `s${i}`, input: i })),
        },
      }));
      // The partitioner itself fails: its answer names the partition request's dispatch id.
      const error = { code: 'sim_partitioner_failed', message: 'simulated partitioner failure', data: {} };
      const dispatchId = `${runId}/${stepId}/${attempt}:partition`;
      return [
        ...planned,
        { type: 'step.failed', at, data: { stepId, attempt, dispatchId, error, retryable: false } },
      ];
    }
    case 'step.dispatch': {
      const { stepId, attempt, dispatchId, shard, idempotent } = command.data;
      const ref = { stepId, attempt, dispatchId, ...(shard !== undefined ? { shard } : {}) };
      const error = { code: 'sim_failed', message: 'simulated failure', data: {} };
      const events: RunEvent[] = [
        {
          type: 'step.succeeded',
          at,
          data: { ...ref, output: { ok: dispatchId }, artifacts: [], durationMs: 1 },
        },
        { type: 'step.failed', at, data: { ...ref, error, retryable: true } },
        { type: 'step.failed', at, data: { ...ref, error, retryable: false } },
      ];
      if (!idempotent && options.indeterminate !== false) {
        events.push({ type: 'step.indeterminate', at, data: { stepId, attempt, dispatchId, reason: 'sim' } });
      }
      return events;
    }
    case 'gate.run': {
      const { stepId, attempt, dispatchId, gateId } = command.data;
      const error = { code: 'sim_gate', message: 'simulated gate failure', data: {} };
      const required =
        command.data.input !== null &&
        typeof command.data.input === 'object' &&
        !Array.isArray(command.data.input)
          ? command.data.input.required === true
          : true;
      return [
        { type: 'gate.passed', at, data: { stepId, attempt, dispatchId, gateId } },
        { type: 'gate.failed', at, data: { stepId, attempt, dispatchId, gateId, required, error } },
      ];
    }
    case 'timer.schedule':
      return [
        {
          type: 'timer.fired',
          at: command.data.fireAt,
          data: { timerId: command.data.timerId, firedAt: command.data.fireAt },
        },
      ];
    default:
      return [];
  }
};

/**
 * Every inbound event the world could send next, in a stable order: each answer to each
 * outstanding command (allow/deny/approval, success/failure/retryable failure, shards or a
 * failed partitioner, gate
 * pass/fail, timers firing), indeterminate dispatches after a crash, and cancellation.
 * Indeterminate dispatches can be resolved by success or failure. Empty once the run ended.
 * Timestamps: `at` for answers, `fireAt` for timers (time never goes backwards in the model:
 * callers pass the latest time).
 */
export const possibleEvents = (
  state: RunState | undefined,
  at: number,
  options: EnvironmentOptions = {},
): RunEvent[] => {
  if (state?.status !== 'running') return [];
  const events: RunEvent[] = [];
  for (const command of Object.values(state.pending)) {
    for (const e of answersTo(command, at, options, state.runId)) {
      events.push(e.type === 'timer.fired' ? { ...e, at: Math.max(at, e.at) } : e);
    }
  }
  for (const [dispatchId, inflight] of Object.entries(state.inflight)) {
    if (inflight.gateId !== undefined || dispatchId in state.pending) continue;
    const ref = {
      stepId: inflight.stepId,
      attempt: inflight.attempt,
      dispatchId,
      ...(inflight.shard !== undefined ? { shard: inflight.shard } : {}),
    };
    events.push({
      type: 'step.succeeded',
      at,
      data: { ...ref, output: { resolved: dispatchId }, artifacts: [], durationMs: 1 },
    });
    events.push({
      type: 'step.failed',
      at,
      data: {
        ...ref,
        error: { code: 'operator', message: 'resolved as failed', data: {} },
        retryable: false,
      },
    });
  }
  if (options.cancel !== false) events.push({ type: 'run.cancel_requested', at, data: { by: 'sim' } });
  return events;
};
