import type { Plan } from '../../blueprints/plan.js';
import type { EventData } from '../../contracts/events/catalog.js';
import type { NewEvent, StoredEvent } from '../../contracts/events/envelope.js';
import { runStream } from '../../contracts/events/streams.js';
import { isRunId, parseRunId, type RunId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import { INBOUND_EVENT_TYPES } from '../../machines/commands.js';
import { createRunProgram, type RunProgram } from '../../machines/program.js';
import type { RunState, SchemaLookup } from '../../machines/types.js';
import { readCompletion } from '../run-completion.js';
import { emptySealBook, noteForSeals, type SealBook } from '../trust/engine-seals.js';
import { type CancelledDispatches, LATE_ANSWER_TYPES, trackCancels } from './late-facts.js';

/** What a run host keeps in memory for one live run. */
export interface RunSlot {
  runId: RunId;
  jobId: string;
  stream: string;
  /** Set once run.started is in the log. */
  program?: RunProgram;
  state?: RunState;
  started?: EventData<'run.started'>;
  /** Seq of the last event of the stream. */
  version: number;
  /** Ids of inbound events already in the log: a re-sent reply is dropped, not appended twice. */
  seen: Set<string>;
  /** Redelivery bookkeeping of pending commands (by pending key): when last sent, how often. */
  sent: Map<string, { at: number; tries: number }>;
  /** Dispatch ids a worker has acknowledged (step.started): not re-sent; their timeout covers them. */
  acked: Set<string>;
  /** Dispatches the run cancelled (`step.cancel_requested`), and whether a worker said how each ended. */
  cancelled: CancelledDispatches;
  /** What the run's dispatches are sealed from (dispatch times, decided programs), from the log. */
  seals: SealBook;
  /**
   * A run being launched: the request events its first append starts with (its stream does not
   * exist yet). Cleared once that append is committed.
   */
  request?: NewEvent[];
}

/** Programs are shared by every run of the same plan. */
export class ProgramCache {
  readonly #byHash = new Map<string, RunProgram>();
  constructor(private readonly schemas: SchemaLookup) {}
  get(plan: Plan, planHash: string): RunProgram {
    let program = this.#byHash.get(planHash);
    if (!program) {
      program = createRunProgram(plan, { schemas: this.schemas });
      this.#byHash.set(planHash, program);
    }
    return program;
  }
}

/** A slot for a run with nothing in the log yet. */
export const emptySlot = (runId: RunId, jobId: string): RunSlot => ({
  runId,
  jobId,
  stream: runStream(runId),
  version: 0,
  seen: new Set(),
  sent: new Map(),
  acked: new Set(),
  cancelled: new Map(),
  seals: emptySealBook(),
});

/** Folds a run's events into a slot: the machine state, the version and the ids seen. */
export const foldRun = (
  runId: RunId,
  events: readonly StoredEvent[],
  programs: ProgramCache,
): RunSlot | undefined => {
  const first = events[0];
  if (!first) return undefined;
  const slot = emptySlot(runId, (first.data as { jobId?: string }).jobId ?? '');
  for (const e of events) applyLogged(slot, e, programs);
  return slot;
};

/** Applies one event read back from the log (its commands are already in the log too). */
export const applyLogged = (slot: RunSlot, e: StoredEvent, programs: ProgramCache): void => {
  slot.version = e.seq;
  trackCancels(slot.cancelled, e);
  noteForSeals(slot.seals, slot.runId, e);
  if (!INBOUND_EVENT_TYPES.has(e.type)) return;
  slot.seen.add(e.id);
  if (e.type === 'step.started') slot.acked.add((e.data as { dispatchId: string }).dispatchId);
  const runEvent = { type: e.type, at: e.at, data: e.data, seq: e.seq };
  if (e.type === 'run.started') {
    const started = e.data as EventData<'run.started'>;
    slot.started = started;
    slot.program = programs.get(started.plan as unknown as Plan, started.planHash);
    slot.state = slot.program.start(runEvent).state;
    return;
  }
  if (slot.program && slot.state) slot.state = slot.program.apply(slot.state, runEvent).state;
};

/**
 * Advances a slot once a decision's events are durable: its machine state, its version, the
 * fact ids now in the log and the dispatches acknowledged (`step.started`).
 */
export const recordAppended = (
  slot: RunSlot,
  next: Pick<RunSlot, 'state' | 'program' | 'started'>,
  version: number,
  appended: readonly { id: string; type: string; at: number; data: unknown }[],
): void => {
  Object.assign(slot, next, { version });
  for (const e of appended) {
    trackCancels(slot.cancelled, e);
    noteForSeals(slot.seals, slot.runId, e);
    slot.seen.add(e.id);
    if (e.type === 'step.started') slot.acked.add((e.data as { dispatchId: string }).dispatchId);
  }
};

/** Called with a run loaded from the log and the events it was folded from (the run host's observer). */
export type OnLoaded = (slot: RunSlot, events: readonly StoredEvent[]) => void;

/** Loads a run from the log; undefined when its stream does not exist. */
export const loadRun = async (
  store: EventStore,
  runId: RunId,
  programs: ProgramCache,
  onLoaded?: OnLoaded,
): Promise<RunSlot | undefined> => {
  const events = await store.readStream(runStream(runId));
  const slot = foldRun(runId, events, programs);
  if (slot) onLoaded?.(slot, events);
  return slot;
};

/**
 * The runs of the log that are started and not final (what a host resumes after a restart),
 * folded; runs for which `skip` is true (already loaded) are not read.
 */
export async function* loadLiveRuns(
  store: EventStore,
  programs: ProgramCache,
  skip: (runId: RunId) => boolean,
  onLoaded?: OnLoaded,
): AsyncGenerator<RunSlot & Required<Pick<RunSlot, 'program' | 'state'>>> {
  for (const stream of await store.listStreams('run/')) {
    const id = stream.slice(4);
    if (!isRunId(id)) continue;
    const runId = parseRunId(id);
    if (skip(runId)) continue;
    const [last] = await store.readStream(stream, { direction: 'backward', limit: 1 });
    if (!last || last.type === 'run.completed') continue;
    if (LATE_ANSWER_TYPES.has(last.type) && (await readCompletion(store, stream))) continue;
    const slot = await loadRun(store, runId, programs, onLoaded);
    if (slot?.program && slot.state && slot.state.status === 'running') {
      yield slot as RunSlot & Required<Pick<RunSlot, 'program' | 'state'>>;
    }
  }
}
