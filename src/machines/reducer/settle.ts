import type { PlanRoute, RouteOutcome } from '../../blueprints/plan.js';
import type { ErrorInfo } from '../../contracts/index.js';
import { failRun, finishRun, settleIfQuiet } from './finish.js';
import { activate } from './lifecycle.js';
import type { Tx } from './tx.js';

/** Starts every `start: needs` step that is waiting and whose needs have all succeeded. */
export const startReady = (tx: Tx, candidates: readonly string[]): void => {
  for (const id of candidates) {
    if (!tx.running) return;
    const plan = tx.planStep(id);
    if (plan.start !== 'needs' || tx.step(id).status !== 'waiting') continue;
    if (plan.needs.every((n) => tx.step(n)?.status === 'succeeded')) activate(tx, id, false);
  }
};

/** The route for an outcome; `gate_failed` and `timed_out` fall back to a `failed` route. */
const routeFor = (routes: readonly PlanRoute[], outcome: RouteOutcome): PlanRoute | undefined =>
  routes.find((r) => r.on === outcome) ??
  (outcome === 'gate_failed' || outcome === 'timed_out' ? routes.find((r) => r.on === 'failed') : undefined);

/**
 * A step reached an outcome. Success starts its dependents; then its route (if any) is
 * followed: `$end` ends the run successfully, `$fail` fails it, a step id enters that step.
 * A failure without a route fails the run. In a gates-only fork nothing new is entered.
 */
export const settle = (tx: Tx, id: string, outcome: RouteOutcome, error?: ErrorInfo): void => {
  if (!tx.running) return;
  const status = outcome === 'succeeded' ? 'succeeded' : 'failed';
  tx.patchStep(id, error ? { status, outcome, error } : { status, outcome });
  const gatesOnly = tx.view.gatesOnly;
  if (outcome === 'succeeded' && !gatesOnly) startReady(tx, tx.index.dependents.get(id) ?? []);
  const route = gatesOnly ? undefined : routeFor(tx.planStep(id).routes, outcome);
  if (route?.to === '$end') finishRun(tx, 'succeeded');
  else if (route?.to === '$fail')
    failRun(tx, `step ${id} ${outcome}: routed to $fail`, {
      stepId: id,
      outcome,
      reason: 'routed_to_fail',
      ...(error ? { error } : {}),
    });
  else if (route) activate(tx, route.to, true);
  else if (outcome !== 'succeeded')
    failRun(tx, `step ${id} ${outcome}`, { stepId: id, outcome, ...(error ? { error } : {}) });
  settleIfQuiet(tx);
};
