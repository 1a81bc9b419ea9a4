import { initialTransition, type SnapshotFrom, transition } from 'xstate';
import { canonicalJson, EVENT_DATA_SCHEMAS, isEventType, LilyError } from '../contracts/index.js';
import { CAUSED_EVENT_TYPES, commandToEvents, type EventToAppend, INBOUND_EVENT_TYPES } from './commands.js';
import type { RunMachine } from './compile.js';
import type { Recovery, RunProgram } from './program.js';
import type { RunEvent, RunState } from './types.js';

/** A recorded event as replay reads it (a StoredEvent fits). */
export type LoggedEvent = RunEvent;

export interface ReplayResult {
  readonly state: RunState;
  /** Seq of the last event folded (0 when the log had none). */
  readonly seq: number;
  readonly inbound: number;
}

const started = (program: RunProgram, events: readonly LoggedEvent[]): { state: RunState; at: number } => {
  const at = events.findIndex((e) => e.type === 'run.started');
  const first = events[at];
  if (!first)
    throw new LilyError('run_not_found', 'the log has no run.started event', { events: events.length });
  return { state: program.start(first).state, at };
};

/**
 * Folds a run's stored events through the plan's transition function (the fast path: no
 * XState, no checks of recorded commands). Events recording commands are skipped.
 * @throws LilyError `replay_plan_drift` when the pinned plan hash differs; `run_not_found`
 * when there is no `run.started`.
 */
export const replay = (program: RunProgram, events: readonly LoggedEvent[]): ReplayResult => {
  let { state, at } = started(program, events);
  let inbound = 1;
  for (let i = at + 1; i < events.length; i++) {
    const e = events[i] as LoggedEvent;
    if (!INBOUND_EVENT_TYPES.has(e.type)) continue;
    state = program.apply(state, e).state;
    inbound++;
  }
  return { state, seq: events[events.length - 1]?.seq ?? events.length, inbound };
};

const normalize = (e: EventToAppend | LoggedEvent): string => {
  if (!isEventType(e.type)) return canonicalJson({ type: e.type, data: e.data });
  const parsed = EVENT_DATA_SCHEMAS[e.type].safeParse(e.data);
  return canonicalJson({ type: e.type, data: parsed.success ? parsed.data : e.data });
};

const same = (a: EventToAppend, b: LoggedEvent): boolean =>
  (a.type === b.type && canonicalJson(a.data) === canonicalJson(b.data)) || normalize(a) === normalize(b);

const diverged = (cause: LoggedEvent, index: number, expected: unknown, actual: unknown, what: string) =>
  new LilyError(
    'replay_nondeterministic',
    `replay diverged after event #${cause.seq ?? index} (${cause.type}): ${what}`,
    {
      seq: cause.seq ?? null,
      type: cause.type,
      index,
      expected,
      actual,
    },
  );

export interface VerifyOptions {
  /** Also run the compiled XState machine (`transition()`) and compare its state value and commands. */
  readonly checkMachine?: boolean;
}

/** Throws unless the caused event `e` (at `i`) is the command `want` its cause (at `causeIndex`) expected. */
const recordedAsExpected = (
  want: EventToAppend | undefined,
  e: LoggedEvent,
  i: number,
  cause: LoggedEvent | undefined,
  causeIndex: number,
): void => {
  if (cause && want && same(want, e)) return;
  throw diverged(
    cause ?? e,
    cause ? causeIndex : i,
    want ?? null,
    { type: e.type, data: e.data },
    'recorded command differs',
  );
};

/**
 * Moves the XState machine by `e` and checks it agrees with the reducer's transition `t`: the
 * same state value and the same commands. Returns the machine's next snapshot.
 */
const machineStep = (
  program: RunProgram,
  machine: RunMachine,
  snapshot: SnapshotFrom<RunMachine>,
  t: ReturnType<RunProgram['apply']>,
  e: LoggedEvent,
  i: number,
): SnapshotFrom<RunMachine> => {
  const next = transition(machine, snapshot, e as never)[0];
  if (
    canonicalJson(next.value) !== canonicalJson(program.stateValue(t.state)) ||
    canonicalJson(next.context.commands) !== canonicalJson(t.commands)
  ) {
    throw diverged(
      e,
      i,
      { value: program.stateValue(t.state), commands: t.commands },
      { value: next.value, commands: next.context.commands },
      'machine disagrees',
    );
  }
  return next;
};

/**
 * Replays a run's log and checks every recorded transition: after each inbound event the
 * events recording the commands it caused must follow, equal in type and data, in order.
 * With `checkMachine` the XState machine is stepped alongside and must agree on the state
 * value and commands after every event.
 * @throws LilyError `replay_plan_drift` (pinned plan hash differs), `replay_nondeterministic`
 * (first divergence: `data.seq`/`data.type` name the inbound event, `expected`/`actual` the
 * differing commands or state values), `run_not_found` (no run.started).
 */
export const verify = (
  program: RunProgram,
  events: readonly LoggedEvent[],
  options: VerifyOptions = {},
): ReplayResult => {
  let state: RunState | undefined;
  let expected: EventToAppend[] = [];
  let cause: LoggedEvent | undefined;
  let causeIndex = -1;
  let inbound = 0;
  const machine = options.checkMachine ? program.machine : undefined;
  let snapshot = machine ? initialTransition(machine)[0] : undefined;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as LoggedEvent;
    if (CAUSED_EVENT_TYPES.has(e.type)) {
      recordedAsExpected(expected.shift(), e, i, cause, causeIndex);
      continue;
    }
    if (!INBOUND_EVENT_TYPES.has(e.type)) continue;
    if (cause && expected.length > 0)
      throw diverged(cause, causeIndex, expected, null, 'commands missing from the log');
    const t = state ? program.apply(state, e) : program.start(e);
    state = t.state;
    expected = t.commands.flatMap(commandToEvents);
    cause = e;
    causeIndex = i;
    inbound++;
    if (machine && snapshot) snapshot = machineStep(program, machine, snapshot, t, e, i);
  }
  if (cause && expected.length > 0)
    throw diverged(cause, causeIndex, expected, null, 'commands missing from the log');
  if (!state)
    throw new LilyError('run_not_found', 'the log has no run.started event', { events: events.length });
  return { state, seq: events[events.length - 1]?.seq ?? events.length, inbound };
};

/** A saved run state: where to resume folding from. Plain JSON. */
export interface RunSnapshot {
  readonly v: 1;
  /** Seq of the last event folded into `state`. */
  readonly seq: number;
  readonly state: RunState;
}

export const snapshotOf = (state: RunState, seq: number): RunSnapshot => ({ v: 1, seq, state });

/**
 * Rebuilds a run after a crash: from a snapshot (folding only events after its seq) or from
 * the whole log, then lists what is outstanding for the host to re-send or mark indeterminate.
 */
export const resume = (
  program: RunProgram,
  input: { readonly snapshot?: RunSnapshot; readonly events: readonly LoggedEvent[] },
): { state: RunState; seq: number; recovery: Recovery } => {
  let state: RunState;
  let seq: number;
  if (input.snapshot) {
    state = input.snapshot.state;
    seq = input.snapshot.seq;
    for (const e of input.events) {
      if (e.seq !== undefined && e.seq <= input.snapshot.seq) continue;
      if (INBOUND_EVENT_TYPES.has(e.type)) state = program.apply(state, e).state;
      seq = e.seq ?? seq + 1;
    }
  } else {
    ({ state, seq } = replay(program, input.events));
  }
  return { state, seq, recovery: program.outstanding(state) };
};
