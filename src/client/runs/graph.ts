import type { Catalog } from '../../blueprints/catalog.js';
import type { Plan } from '../../blueprints/plan.js';
import type { EventData } from '../../contracts/events/catalog.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import { lifecycleEdges } from '../../machines/graph-export.js';
import { createRunProgram } from '../../machines/program.js';
import { statusesFor } from '../../machines/program-index.js';
import { replay } from '../../machines/replay.js';
import type { RunStatus as MachineRunStatus, StepStatus as MachineStepStatus } from '../../machines/types.js';

/** A state of a step's region in the run machine (`waiting`, `dispatched`, `retry_wait`, ...). */
export type MachineStepState = MachineStepStatus;

/** One edge of a step's lifecycle: what moves the step from one state to the next. */
export interface LifecycleEdge {
  from: MachineStepState;
  to: MachineStepState;
  label: string;
}

/** One step of a run's pinned plan, with where the run machine has it now. */
export interface RunGraphStep {
  id: string;
  title: string | null;
  executor: string;
  /** Steps that must succeed first (the plan's DAG). */
  needs: string[];
  /** Outcome-driven jumps: `to` is a step id, `$end` or `$fail`. */
  routes: { on: string; to: string }[];
  partition: { partitioner: string; concurrency: number; mode: string } | null;
  gates: { id: string; required: boolean }[];
  /** The approval reason, when a human must approve the step. */
  approval: string | null;
  idempotent: boolean;
  /** `needs`, or `route`: the step starts only when a route sends the run to it. */
  start: 'needs' | 'route';
  /** The state the machine has the step in now. */
  state: MachineStepState;
  /** Last attempt number used, and how often the step was entered. */
  attempt: number;
  visits: number;
  /** Its output was copied from a parent run (a fork). */
  memoized: boolean;
  /** The shards of a partition step, each with its state. */
  shards: { key: string; status: string; attempt: number }[];
  /** Gate id -> pending | passed | failed, for the current visit. */
  gateStates: Record<string, string>;
  /** The states of the step's region in the machine, in drawing order, and its edges. */
  states: MachineStepState[];
  edges: LifecycleEdge[];
}

/** A run's machine: its pinned plan as a graph, each step at the state the log has folded it to. */
export interface RunGraph {
  runId: string;
  planHash: string;
  /** The run machine's status (`running` until `run.completed` is folded). */
  status: MachineRunStatus;
  steps: RunGraphStep[];
}

/**
 * Folds a run's events through the program of its pinned plan (like replay, without the
 * checks) and returns the plan's steps with their current machine state, for drawing. Null
 * for a run that has not started (only requested): there is no pinned plan yet.
 */
export const runGraph = (catalog: Catalog, events: readonly StoredEvent[]): RunGraph | null => {
  const started = events.find((e) => e.type === 'run.started');
  if (!started) return null;
  const data = started.data as EventData<'run.started'>;
  const program = createRunProgram(data.plan as unknown as Plan, { schemas: catalog.schemas });
  const { state } = replay(program, events);
  const steps = program.plan.steps.map((step): RunGraphStep => {
    const s = state.steps[step.id];
    return {
      id: step.id,
      title: step.title ?? null,
      executor: step.executor,
      needs: [...step.needs],
      routes: step.routes.map((r) => ({ on: r.on, to: r.to })),
      partition: step.partition
        ? {
            partitioner: step.partition.partitioner,
            concurrency: step.partition.concurrency,
            mode: step.partition.mode,
          }
        : null,
      gates: step.gates.map((g) => ({ id: g.id, required: g.required })),
      approval: step.approval?.reason ?? null,
      idempotent: step.idempotent,
      start: step.start,
      state: s?.status ?? 'waiting',
      attempt: s?.attempt ?? 0,
      visits: s?.visits ?? 0,
      memoized: s?.memoized === true,
      shards: (s?.shards ?? []).map((sh) => ({ key: sh.key, status: sh.status, attempt: sh.attempt })),
      gateStates: { ...(s?.gates ?? {}) },
      states: statusesFor(step),
      edges: lifecycleEdges(program, step).map(([from, to, label]) => ({ from, to, label })),
    };
  });
  return { runId: state.runId, planHash: program.planHash, status: state.status, steps };
};
