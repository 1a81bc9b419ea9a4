import { type EventData, hashJson, type JsonObject } from '../contracts/index.js';
import { commandToEvents } from '../machines/commands.js';
import { type EnvironmentOptions, possibleEvents } from '../machines/environment.js';
import { MACHINE_VERSION } from '../machines/machine-version.js';
import type { RunProgram } from '../machines/program.js';
import type { LoggedEvent } from '../machines/replay.js';
import type { Command, RunState } from '../machines/types.js';

/** Options of `simulate`: the world model, a cap on inbound events, the run input, dry run, the run id. */
export interface SimulateOptions {
  readonly environment?: EnvironmentOptions;
  /** Stop after this many inbound events (default: eventBound of the plan). */
  readonly maxEvents?: number;
  readonly input?: JsonObject;
  readonly dryRun?: boolean;
  readonly runId?: string;
}

/** One simulated run: its log, its final state, every transition. */
export interface Simulation {
  /** The run's log as a host would have written it: inbound events, each followed by the events of its commands. */
  readonly log: LoggedEvent[];
  readonly state: RunState;
  /** Commands of every transition, in order (index i: the i-th inbound event). */
  readonly transitions: { event: LoggedEvent; commands: readonly Command[] }[];
  readonly inbound: number;
}

/**
 * An upper bound on the inbound events of any run of a plan under the bounded world model:
 * per visit (maxVisits, or 1) a policy answer, an approval, a partition answer, and per shard
 * (at most `maxShards`) or dispatch each try's answer and retry timer, plus each gate. Never throws.
 *
 * @example
 * simulate(program, choices).inbound <= eventBound(program); // true for every choices
 */
export const eventBound = (program: RunProgram, maxShards = 2): number => {
  let total = 3;
  for (const step of program.plan.steps) {
    const visits = (step.maxVisits ?? 1) + 1;
    const dispatches = step.partition ? Math.max(1, maxShards) : 1;
    total += visits * (3 + dispatches * step.retry.maxAttempts * 3 + step.gates.length);
  }
  return total;
};

const progresses = (e: LoggedEvent): boolean => {
  const d = e.data as { decision?: string; timerId?: string };
  return (
    (e.type === 'policy.decided' && d.decision === 'allow') ||
    (e.type === 'timer.fired' && d.timerId?.endsWith('/retry') === true) ||
    ['approval.granted', 'partition.planned', 'step.succeeded', 'gate.passed'].includes(e.type)
  );
};

/** Three choices in four take an event that makes progress; the fourth any possible event. */
const choose = (events: readonly LoggedEvent[], choice: number): LoggedEvent => {
  const good = events.filter(progresses);
  const pool = choice % 4 !== 0 && good.length > 0 ? good : events;
  return pool[Math.floor(choice / 4) % pool.length] as LoggedEvent;
};

/**
 * Runs a program against the world model, picking the next inbound event with `choices`
 * (three in four pick among the events that make progress, the fourth among all; once
 * exhausted, choice 0). Time starts
 * at 1,000,000 ms, moves 1 ms per answer and jumps to `fireAt` for timers.
 *
 * Never throws for a program of a plan that passed the compile boundary: the simulated world
 * only sends events the run's commands asked for.
 * @example
 * const { log, state } = simulate(createRunProgram(plan), [0, 3, 1]);
 * state.status; // 'succeeded' | 'failed' | 'cancelled'
 */
export const simulate = (
  program: RunProgram,
  choices: readonly number[],
  options: SimulateOptions = {},
): Simulation => {
  const runId = options.runId ?? 'SIMRUN';
  const input = options.input ?? { name: 'sim' };
  const startedData: EventData<'run.started'> = {
    runId,
    jobId: 'sim',
    blueprint: program.plan.blueprint,
    bindings: {},
    plan: program.plan as unknown as JsonObject,
    planHash: program.planHash,
    input,
    inputHash: hashJson(input),
    dryRun: options.dryRun ?? false,
    kernelVersion: 'sim',
    env: {},
    principal: 'sim',
    // The semantics the engine starts new runs under (machine-version.ts).
    machine: MACHINE_VERSION,
  };
  const log: LoggedEvent[] = [];
  const transitions: Simulation['transitions'] = [];
  const record = (type: string, at: number, data: unknown) => {
    const event = { type, at, data, seq: log.length + 1 };
    log.push(event);
    return event;
  };
  let at = 1_000_000;
  const first = record('run.started', at, startedData);
  let t = program.start(first);
  const push = (event: LoggedEvent, commands: readonly Command[]) => {
    transitions.push({ event, commands });
    for (const c of commands) for (const e of commandToEvents(c)) record(e.type, event.at, e.data);
  };
  push(first, t.commands);
  let state = t.state;
  const max = options.maxEvents ?? eventBound(program);
  for (let i = 0; i < max; i++) {
    const next = possibleEvents(state, at + 1, options.environment);
    if (next.length === 0) break;
    const pick = choose(next, choices[i] ?? 0);
    at = Math.max(at + 1, pick.at);
    const event = record(pick.type, at, pick.data);
    t = program.apply(state, event);
    state = t.state;
    push(event, t.commands);
  }
  return { log, state, transitions, inbound: transitions.length };
};
