import { assign, setup } from 'xstate';
import type { Plan } from '../blueprints/plan.js';
import { indexPlan, type PlanIndex, statusesFor } from './program-index.js';
import { reduce, startRun } from './reducer/reduce.js';
import type { Command, RunEvent, RunOutcome, RunState, SchemaLookup, StepStatus } from './types.js';

export interface CompileOptions {
  /** Output schemas by name (`outputSchema` of steps); defaults to none registered. */
  readonly schemas?: SchemaLookup;
}

/** The machine's context: the run state and the commands caused by the last event. */
export interface RunMachineContext {
  readonly run: RunState | undefined;
  readonly commands: readonly Command[];
}

/** Any stored event (its `type`, `at`, `data`) is a machine event. */
export type RunMachineEvent = RunEvent & { type: string };

/**
 * Where a step can be after one event, from each status (several moves can happen in one
 * event: a success that routes back to the same step lands in policy_check). Regions only get
 * these eventless transitions, which keeps big plans cheap to build and to step.
 */
const ONE_EVENT: Record<StepStatus, readonly StepStatus[]> = {
  waiting: ['policy_check', 'gating', 'succeeded', 'skipped'],
  policy_check: ['awaiting_approval', 'partitioning', 'dispatched', 'failed', 'cancelled'],
  awaiting_approval: ['partitioning', 'dispatched', 'failed', 'cancelled', 'policy_check'],
  partitioning: ['dispatched', 'gating', 'succeeded', 'failed', 'cancelled', 'policy_check'],
  dispatched: ['gating', 'succeeded', 'failed', 'retry_wait', 'indeterminate', 'cancelled', 'policy_check'],
  retry_wait: ['dispatched', 'cancelled'],
  gating: ['succeeded', 'failed', 'cancelled', 'policy_check'],
  indeterminate: ['dispatched', 'gating', 'succeeded', 'failed', 'retry_wait', 'cancelled', 'policy_check'],
  succeeded: ['policy_check'],
  failed: ['policy_check'],
  skipped: [],
  cancelled: [],
};

const regionOf = (index: PlanIndex, stepId: string) => {
  const step = index.byId.get(stepId);
  const statuses = step ? statusesFor(step) : (['waiting'] as StepStatus[]);
  const states: Record<string, object> = {};
  for (const status of statuses) {
    states[status] = {
      always: ONE_EVENT[status]
        .filter((s) => statuses.includes(s))
        .map((s) => ({ guard: { type: 'stepIs' as const, params: { step: stepId, status: s } }, target: s })),
    };
  }
  return { initial: 'waiting', states };
};

/**
 * Compiles a plan into its XState v5 run machine: `pending` until `run.started`, then a
 * parallel `running` state with one region per step (waiting, policy_check,
 * awaiting_approval, partitioning, dispatched, retry_wait, gating, succeeded, failed,
 * skipped, cancelled, indeterminate: only those the step can reach), then a final
 * `succeeded` | `failed` | `cancelled` whose output is the run's outcome.
 *
 * Pure: no `after`, no `invoke`, no clock. Every event runs the plan's transition function
 * (`reduce`) in one `assign`; the commands it caused are `context.commands` (so
 * `transition()` and a live actor see exactly the same thing) and the step regions follow the
 * run state through guarded eventless transitions.
 *
 * @example
 * const machine = compileRunMachine(plan);
 * const [s1] = transition(machine, initialTransition(machine)[0], runStartedEvent);
 * s1.context.commands; // [{ type: 'policy.check', ... }, ...]
 */
export const compileRunMachine = (plan: Plan, options: CompileOptions = {}) =>
  machineFor(indexPlan(plan, options.schemas));

/** Builds the machine for an already indexed plan (shared with run programs). */
export const machineFor = (index: PlanIndex) => {
  const regions: Record<string, object> = {};
  for (const id of index.order) regions[id] = regionOf(index, id);
  const runIs = (status: string) => ({ type: 'runIs' as const, params: { status } });
  return setup({
    types: {} as { context: RunMachineContext; events: RunMachineEvent; output: RunOutcome | null },
    guards: {
      stepIs: ({ context }, params: { step: string; status: StepStatus }) =>
        context.run?.steps[params.step]?.status === params.status,
      runIs: ({ context }, params: { status: string }) => context.run?.status === params.status,
    },
    actions: {
      start: assign(({ event }) => {
        const t = startRun(index, event);
        return { run: t.state, commands: t.commands };
      }),
      apply: assign(({ context, event }) => {
        if (!context.run) return { commands: [] };
        const t = reduce(index, context.run, event);
        return { run: t.state, commands: t.commands };
      }),
    },
  }).createMachine({
    id: 'run',
    context: { run: undefined, commands: [] },
    initial: 'pending',
    states: {
      pending: { on: { 'run.started': { target: 'running', actions: 'start' } } },
      running: {
        type: 'parallel',
        on: { '*': { actions: 'apply' } },
        always: [
          { guard: runIs('succeeded'), target: 'succeeded' },
          { guard: runIs('failed'), target: 'failed' },
          { guard: runIs('cancelled'), target: 'cancelled' },
        ],
        states: regions,
      },
      succeeded: { type: 'final' },
      failed: { type: 'final' },
      cancelled: { type: 'final' },
    },
    output: ({ context }) => context.run?.outcome ?? null,
  });
};

export type RunMachine = ReturnType<typeof machineFor>;
