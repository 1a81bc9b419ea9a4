import type { ArtifactRef, EventData, Json } from '../contracts/index.js';
import { LilyError } from '../contracts/index.js';
import type { RunProgram } from './program.js';
import { type LoggedEvent, replay } from './replay.js';

export interface ForkOptions {
  /** Re-run from this step: it and every step downstream of it (by needs) run again. */
  readonly fromStep?: string;
  /** Re-run only the gates of the parent's succeeded steps, against their recorded outputs. */
  readonly gatesOnly?: boolean;
}

/** What a host merges into the child run's `run.started` (and records as `run.forked`). */
export interface ForkPlan {
  readonly parent: NonNullable<EventData<'run.started'>['parent']>;
  readonly memo: Record<string, { output: Json; artifacts: ArtifactRef[] }>;
  /** Data for the `run.forked` event. */
  readonly forked: EventData<'run.forked'>;
  /** Steps that will run again (not memoized). */
  readonly rerun: readonly string[];
}

/** The step and everything that needs it, transitively. */
const downstreamOf = (program: RunProgram, from: string): Set<string> => {
  const out = new Set<string>([from]);
  const queue = [from];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    for (const next of program.index.dependents.get(id) ?? []) {
      if (!out.has(next)) {
        out.add(next);
        queue.push(next);
      }
    }
  }
  return out;
};

/**
 * Derives a fork of a recorded run (seed layer 5, replay controls). With `fromStep`, the
 * steps that succeeded in the parent and are not `fromStep` or downstream of it are memoized
 * with their recorded outputs; the rest run again. With `gatesOnly`, every succeeded step is
 * memoized and only gates run. The child's `run.started` carries `parent` and `memo`, so its
 * own log replays without the parent's.
 * @throws LilyError `usage_invalid` for an unknown `fromStep` or no option; errors of `replay`.
 */
export const planFork = (
  program: RunProgram,
  parentEvents: readonly LoggedEvent[],
  options: ForkOptions,
): ForkPlan => {
  if (options.fromStep === undefined && !options.gatesOnly) {
    throw new LilyError('usage_invalid', 'a fork needs fromStep or gatesOnly', {});
  }
  if (options.fromStep !== undefined && !program.index.byId.has(options.fromStep)) {
    throw new LilyError('usage_invalid', `no step ${options.fromStep} in the plan`, {
      fromStep: options.fromStep,
    });
  }
  const { state } = replay(program, parentEvents);
  const again =
    options.fromStep !== undefined && !options.gatesOnly
      ? downstreamOf(program, options.fromStep)
      : new Set<string>();
  const memo: ForkPlan['memo'] = {};
  for (const id of program.index.order) {
    const step = state.steps[id];
    if (again.has(id) || step?.status !== 'succeeded' || step.output === undefined) continue;
    memo[id] = { output: step.output, artifacts: [...(step.artifacts ?? [])] };
  }
  const memoized = Object.keys(memo);
  const gatesOnly = options.gatesOnly ?? false;
  const fromStep = options.fromStep !== undefined ? { fromStep: options.fromStep } : {};
  return {
    parent: { runId: state.runId, gatesOnly, ...fromStep },
    memo,
    forked: { parentRunId: state.runId, gatesOnly, memoized, ...fromStep },
    rerun: program.index.order.filter((id) => !(id in memo)),
  };
};
