import type { StateValue } from 'xstate';
import type { Plan } from '../blueprints/plan.js';
import { type EventData, hashJson, LilyError } from '../contracts/index.js';
import type { EventToAppend } from './commands.js';
import { type CompileOptions, machineFor, type RunMachine } from './compile.js';
import { indexPlan, type PlanIndex } from './program-index.js';
import { reduce, startRun } from './reducer/reduce.js';
import { stateValueOf } from './state-value.js';
import type { Command, RunEvent, RunState, Transition } from './types.js';

/** What a host must do after a crash: re-send these, and append (then apply) these facts. */
export interface Recovery {
  /** Commands sent and not answered (dispatches, gates, policy checks, approvals, timers). */
  readonly resend: readonly Command[];
  /** `step.indeterminate` events for non-idempotent dispatches found in flight. */
  readonly indeterminate: readonly EventToAppend[];
}

/**
 * A plan ready to run: its hash, its indexes and (lazily) its XState machine. One per plan;
 * share it between every run of that plan. All methods are pure.
 */
export interface RunProgram {
  readonly plan: Plan;
  /** sha256 of the canonical plan JSON: what `run.started` pins. */
  readonly planHash: string;
  readonly index: PlanIndex;
  /** The compiled XState machine (built on first use). */
  readonly machine: RunMachine;
  /**
   * Starts a run from its `run.started` event.
   * @throws LilyError `replay_plan_drift` when `data.planHash` is not this plan's hash.
   */
  start(runStarted: RunEvent): Transition;
  /** Applies one inbound event. Stale, duplicate or unknown events yield no commands. */
  apply(state: RunState, event: RunEvent): Transition;
  /** What is outstanding in a state (after a crash): see Recovery. */
  outstanding(state: RunState): Recovery;
  /** The XState state value the compiled machine is in for this state. */
  stateValue(state: RunState | undefined): StateValue;
}

/**
 * Compiles a plan (from `compileBlueprint`) into a run program: the pure run machine the engine
 * runs, which `lily/testing` simulates and checks.
 *
 * Never throws, and validates nothing either: give it plans that passed the compile boundary
 * (`compileBlueprint`) or come from `planArb`, never hand-written ones.
 * @example
 * const program = createRunProgram(compileBlueprint(catalog, blueprint, bindings).plan);
 * simulate(program, [0, 1, 2]).state.status;
 */
export const createRunProgram = (plan: Plan, options: CompileOptions = {}): RunProgram => {
  const index = indexPlan(plan, options.schemas);
  const planHash = hashJson(plan);
  let machine: RunMachine | undefined;
  return {
    plan,
    planHash,
    index,
    get machine() {
      machine ??= machineFor(index);
      return machine;
    },
    start: (event) => {
      if (event.type !== 'run.started') {
        throw new LilyError('replay_nondeterministic', `a run starts with run.started, not ${event.type}`, {
          seq: event.seq ?? null,
          type: event.type,
        });
      }
      const pinned = (event.data as EventData<'run.started'>).planHash;
      if (pinned !== planHash) {
        throw new LilyError('replay_plan_drift', 'the plan hash differs from the one pinned in run.started', {
          runId: (event.data as EventData<'run.started'>).runId,
          pinned,
          actual: planHash,
        });
      }
      return startRun(index, event);
    },
    apply: (state, event) => reduce(index, state, event),
    outstanding: (state) => outstanding(state),
    stateValue: (state) => stateValueOf(index, state),
  };
};

/**
 * Outstanding work of a run: every command still waiting for an answer, except dispatches of
 * non-idempotent steps, which become `step.indeterminate` (never re-run blindly). Executors
 * dedupe re-sent dispatches on `dispatchId`; the scheduler dedupes timers on `timerId`.
 */
export const outstanding = (state: RunState): Recovery => {
  const resend: Command[] = [];
  const indeterminate: EventToAppend[] = [];
  if (state.status !== 'running') return { resend, indeterminate };
  for (const command of Object.values(state.pending)) {
    if (command.type === 'step.dispatch' && !command.data.idempotent) {
      const { stepId, attempt, dispatchId } = command.data;
      indeterminate.push({
        type: 'step.indeterminate',
        data: { stepId, attempt, dispatchId, reason: 'in_flight_at_recovery' },
      });
    } else {
      resend.push(command);
    }
  }
  return { resend, indeterminate };
};

/** Convenience: compile and start in one call (hosts running many runs should share a program). */
export const createRun = (plan: Plan, runStarted: RunEvent, options: CompileOptions = {}) => {
  const program = createRunProgram(plan, options);
  return { program, ...program.start(runStarted) };
};

/** Applies one event with a program: the host's hot path (no XState overhead). */
export const applyEvent = (program: RunProgram, state: RunState, event: RunEvent): Transition =>
  program.apply(state, event);
