import type { Plan, PlanStep } from '../blueprints/plan.js';
import { type SchemaLookup, STEP_STATUSES, type StepStatus } from './types.js';

/** A plan with the lookups every transition needs, computed once per plan. */
export interface PlanIndex {
  readonly plan: Plan;
  readonly order: readonly string[];
  readonly byId: ReadonlyMap<string, PlanStep>;
  /** step id -> steps that list it in `needs`. */
  readonly dependents: ReadonlyMap<string, readonly string[]>;
  readonly schemas: SchemaLookup;
}

const NO_SCHEMAS: SchemaLookup = { get: () => undefined };

export const indexPlan = (plan: Plan, schemas: SchemaLookup = NO_SCHEMAS): PlanIndex => {
  const byId = new Map(plan.steps.map((s) => [s.id, s] as const));
  const dependents = new Map<string, string[]>();
  for (const step of plan.steps) {
    for (const need of step.needs) {
      const list = dependents.get(need) ?? [];
      list.push(step.id);
      dependents.set(need, list);
    }
  }
  return { plan, order: plan.steps.map((s) => s.id), byId, dependents, schemas };
};

/**
 * The states a step's region has: only those its configuration can reach, so the compiled
 * machine mirrors the plan (no `gating` without gates, no `retry_wait` without retries, ...).
 */
export const statusesFor = (step: PlanStep): StepStatus[] =>
  STEP_STATUSES.filter((s) => {
    switch (s) {
      case 'partitioning':
        return step.partition !== undefined;
      case 'retry_wait':
        return step.retry.maxAttempts > 1;
      case 'gating':
        return step.gates.length > 0;
      case 'indeterminate':
        return !step.idempotent;
      default:
        return true;
    }
  });
