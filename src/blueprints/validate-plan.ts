import { LilyError } from '../contracts/errors.js';
import type { Catalog } from './catalog.js';
import { findCycle, flowEdges, upstreamOf } from './graph-checks.js';
import { resolveJobKind, validateStages } from './job-kinds.js';
import type { InputRef, Plan, PlanStep } from './plan.js';

type Fail = (reason: string, message: string, data?: Record<string, unknown>) => never;

/**
 * The compile boundary's checks on a parsed plan: unique ids, references to known steps, no
 * dependency cycle, every route cycle bounded by `maxVisits`, known executors, partitioners and
 * output schemas, and the job kind's stage rules. Throws `blueprint_compile_failed` (data
 * names the reason and the culprit) or a `stage_*` / `job_kind_unknown` code.
 */
export const validatePlan = (plan: Plan, catalog: Catalog): void => {
  const blueprint = `${plan.blueprint.id}@${plan.blueprint.version}`;
  const fail: Fail = (reason, message, data = {}) => {
    throw new LilyError('blueprint_compile_failed', `${blueprint}: ${message}`, {
      blueprint,
      reason,
      ...data,
    });
  };
  const ids = new Set<string>();
  for (const step of plan.steps) {
    if (ids.has(step.id)) fail('duplicate_step', `step id "${step.id}" is used twice`, { step: step.id });
    ids.add(step.id);
  }
  for (const step of plan.steps) checkStep(plan, step, ids, catalog, fail);
  checkCycles(plan, fail);
  checkRouteOnlySteps(plan, fail);
  for (const [key, ref] of Object.entries(plan.output)) {
    if (ref.from === 'step' && !ids.has(ref.step)) {
      fail('unknown_step', `output "${key}" reads unknown step "${ref.step}"`, {
        output: key,
        ref: ref.step,
      });
    }
    if (ref.from === 'shard')
      fail('shard_outside_partition', `output "${key}" reads a shard`, { output: key });
  }
  if (plan.kind !== undefined) validateStages(plan, resolveJobKind(catalog.jobKinds, plan.kind));
};

const checkStep = (plan: Plan, step: PlanStep, ids: Set<string>, catalog: Catalog, fail: Fail): void => {
  const at = { step: step.id };
  for (const need of step.needs) {
    if (!ids.has(need))
      fail('unknown_step', `step "${step.id}" needs unknown step "${need}"`, { ...at, ref: need });
    if (need === step.id)
      fail('cycle', `step "${step.id}" needs itself`, { ...at, cycle: [step.id, step.id] });
  }
  for (const route of step.routes) {
    if (route.to !== '$end' && route.to !== '$fail' && !ids.has(route.to)) {
      fail('unknown_step', `step "${step.id}" routes ${route.on} to unknown step "${route.to}"`, {
        ...at,
        ref: route.to,
        on: route.on,
      });
    }
  }
  checkExecutor(step.executor, catalog, fail, at);
  const gateIds = new Set<string>();
  for (const gate of step.gates) {
    if (gateIds.has(gate.id)) fail('duplicate_gate', `step "${step.id}" has gate "${gate.id}" twice`, at);
    gateIds.add(gate.id);
    checkExecutor(gate.executor, catalog, fail, { ...at, gate: gate.id });
  }
  if (step.partition && !catalog.partitioners.has(step.partition.partitioner)) {
    fail(
      'unknown_partitioner',
      `step "${step.id}" uses unknown partitioner "${step.partition.partitioner}"`,
      {
        ...at,
        partitioner: step.partition.partitioner,
        known: [...catalog.partitioners.keys()].sort(),
      },
    );
  }
  if (step.outputSchema !== undefined && !catalog.schemas.has(step.outputSchema)) {
    fail('unknown_schema', `step "${step.id}" names unknown output schema "${step.outputSchema}"`, {
      ...at,
      schema: step.outputSchema,
    });
  }
  checkWith(step, catalog, fail);
  checkInputs(plan, step, ids, fail);
};

const checkExecutor = (name: string, catalog: Catalog, fail: Fail, at: Record<string, string>): void => {
  if (catalog.executors.has(name)) return;
  fail(
    'unknown_executor',
    `${at.gate ? `gate "${at.gate}" of ` : ''}step "${at.step}" uses unknown executor "${name}"`,
    {
      ...at,
      executor: name,
      known: [...catalog.executors.keys()].sort(),
    },
  );
};

const checkWith = (step: PlanStep, catalog: Catalog, fail: Fail): void => {
  const schema = catalog.executors.get(step.executor)?.with;
  if (!schema) return;
  const result = schema.safeParse(step.with);
  if (!result.success) {
    fail('executor_config_invalid', `step "${step.id}": invalid "with" for executor ${step.executor}`, {
      step: step.id,
      executor: step.executor,
      issues: result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  }
};

/** A step may read the outputs of steps that surely ran before it: its upstream, or its route sources'. */
const checkInputs = (plan: Plan, step: PlanStep, ids: Set<string>, fail: Fail): void => {
  const readable = upstreamOf(plan, step.id);
  for (const source of plan.steps) {
    if (source.routes.some((r) => r.to === step.id)) {
      readable.add(source.id);
      for (const id of upstreamOf(plan, source.id)) readable.add(id);
    }
  }
  for (const [key, ref] of Object.entries(step.input) as [string, InputRef][]) {
    if (ref.from === 'shard' && !step.partition) {
      fail('shard_outside_partition', `step "${step.id}" input "${key}" reads a shard but has no partition`, {
        step: step.id,
        input: key,
      });
    }
    if (ref.from !== 'step') continue;
    if (!ids.has(ref.step)) {
      fail('unknown_step', `step "${step.id}" input "${key}" reads unknown step "${ref.step}"`, {
        step: step.id,
        input: key,
        ref: ref.step,
      });
    }
    if (!readable.has(ref.step)) {
      fail(
        'input_not_upstream',
        `step "${step.id}" input "${key}" reads "${ref.step}", which is not upstream`,
        {
          step: step.id,
          input: key,
          ref: ref.step,
        },
      );
    }
  }
};

const checkCycles = (plan: Plan, fail: Fail): void => {
  const ids = plan.steps.map((s) => s.id);
  const needsCycle = findCycle(ids, flowEdges(plan, false));
  if (needsCycle)
    fail('cycle', `steps form a dependency cycle: ${needsCycle.join(' -> ')}`, { cycle: needsCycle });
  const bounded = new Set(plan.steps.filter((s) => s.maxVisits !== undefined).map((s) => s.id));
  // Cut the bounded steps out of the graph: any cycle left has no visit bound.
  const edges = flowEdges(plan, true);
  for (const id of bounded) edges.set(id, []);
  const unbounded = findCycle(ids, edges);
  if (unbounded) {
    fail('unbounded_cycle', `route cycle ${unbounded.join(' -> ')} has no step with maxVisits`, {
      cycle: unbounded,
    });
  }
};

const checkRouteOnlySteps = (plan: Plan, fail: Fail): void => {
  const targets = new Set(plan.steps.flatMap((s) => s.routes.map((r) => r.to)));
  for (const step of plan.steps) {
    if (step.start === 'route' && !targets.has(step.id)) {
      fail('unreachable_step', `step "${step.id}" starts on a route but no route leads to it`, {
        step: step.id,
      });
    }
  }
};
