import type { PlanGate } from '../../blueprints/plan.js';
import type { ErrorInfo } from '../../contracts/index.js';
import type { GateStatus } from '../types.js';
import { settle } from './settle.js';
import type { Tx } from './tx.js';

export const gateDispatchId = (runId: string, stepId: string, attempt: number, gateId: string): string =>
  `${runId}/${stepId}/${attempt}:gate:${gateId}`;

/**
 * Whether a dry run skips this gate: it has side effects, or the plan does not say (a plan
 * compiled before gates recorded them). A dry run executes no side effect, gates included.
 */
export const skippedInDryRun = (gate: PlanGate): boolean => (gate.sideEffects ?? 'external') !== 'none';

/**
 * Sends `gate.run` for every gate of a step whose work succeeded; the step is `gating`. In a dry
 * run a gate with side effects is recorded as skipped (`gate.skip`, reason `dry_run`) instead;
 * when every gate is skipped the step settles as succeeded at once.
 */
export const startGates = (tx: Tx, id: string): void => {
  const plan = tx.planStep(id);
  const step = tx.step(id);
  const skip = (gate: PlanGate) => tx.view.dryRun && skippedInDryRun(gate);
  const gates: Record<string, GateStatus> = {};
  for (const gate of plan.gates) gates[gate.id] = skip(gate) ? 'skipped' : 'pending';
  tx.patchStep(id, { status: 'gating', gates, gateErrors: {} });
  for (const gate of plan.gates) {
    const dispatchId = gateDispatchId(tx.runId, id, step.attempt, gate.id);
    if (skip(gate)) {
      const data = {
        stepId: id,
        attempt: step.attempt,
        dispatchId,
        gateId: gate.id,
        executor: gate.executor,
      };
      tx.emit({ type: 'gate.skip', data: { ...data, reason: 'dry_run' } });
      continue;
    }
    const input = {
      with: gate.with,
      output: step.output ?? null,
      required: gate.required,
      ...(gate.timeoutMs !== undefined ? { timeoutMs: gate.timeoutMs } : {}),
    };
    tx.emit(
      {
        type: 'gate.run',
        data: {
          stepId: id,
          attempt: step.attempt,
          dispatchId,
          gateId: gate.id,
          executor: gate.executor,
          input,
        },
      },
      dispatchId,
    );
    tx.putInflight(dispatchId, { stepId: id, attempt: step.attempt, gateId: gate.id });
  }
  if (!Object.values(gates).includes('pending')) settle(tx, id, 'succeeded');
};

/** The step's own work succeeded: run its gates, or settle as succeeded when it has none. */
export const afterSuccess = (tx: Tx, id: string): void => {
  if (tx.planStep(id).gates.length > 0) startGates(tx, id);
  else settle(tx, id, 'succeeded');
};

/**
 * A gate answered. When every gate has answered the step settles: `gate_failed` if a required
 * gate failed (error `blueprint_execution_failed` naming the gates), else `succeeded`.
 * Optional gate failures are kept on the step as `gateErrors` and do not fail it.
 */
export const onGateAnswer = (tx: Tx, dispatchId: string, passed: boolean, error?: ErrorInfo): void => {
  const inflight = tx.getInflight(dispatchId);
  if (!inflight?.gateId) return;
  const id = inflight.stepId;
  tx.dropInflight(dispatchId);
  tx.dropPending(dispatchId);
  const step = tx.step(id);
  if (step.status !== 'gating') return;
  const gates = { ...step.gates, [inflight.gateId]: passed ? 'passed' : 'failed' } as const;
  const gateErrors = error ? { ...step.gateErrors, [inflight.gateId]: error } : step.gateErrors;
  tx.patchStep(id, { gates, ...(gateErrors ? { gateErrors } : {}) });
  if (Object.values(gates).includes('pending')) return;
  const failed = tx
    .planStep(id)
    .gates.filter((g) => g.required && gates[g.id] === 'failed')
    .map((g) => g.id);
  if (failed.length === 0) {
    settle(tx, id, 'succeeded');
    return;
  }
  settle(tx, id, 'gate_failed', {
    code: 'blueprint_execution_failed',
    message: `required gate(s) failed: ${failed.join(', ')}`,
    data: { gates: failed, errors: failed.map((g) => gateErrors?.[g] ?? null) },
  });
};
