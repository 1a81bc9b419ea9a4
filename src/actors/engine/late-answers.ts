import type { Clock } from '../../contracts/clock.js';
import type { RunId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import { isVersionConflict } from '../../eventstore/event-store.js';
import { ownString } from '../../eventstore/own-string.js';
import type { Bus } from '../bus/bus.js';
import { errorInfo } from '../error-info.js';
import type { Logger } from '../logger.js';
import type { Arrival } from './arrival.js';
import { decideLateFacts, openCancels } from './late-facts.js';
import { publishEvents } from './outbox.js';
import { loadRun, type ProgramCache, type RunSlot } from './run-slot.js';

export interface LateAnswersOptions {
  store: EventStore;
  bus: Bus;
  ns: string;
  clock: Clock;
  log: Logger;
  programs: ProgramCache;
  /** Finished runs remembered (default `FINISHED_KEPT`). */
  finishedKept?: number;
}

/**
 * Finished runs remembered, newest last. A fact for a run older than these reads the run's
 * stream (the run host folds it, finds it final and remembers it again), as after a restart:
 * the log decides, this only spares the read for the runs that just ended.
 */
export const FINISHED_KEPT = 1_000;

const NONE: ReadonlySet<string> = new Set();

/**
 * The run host's side of late-facts.ts: which runs have finished lately, and the answers to
 * cancelled dispatches of runs that have ended, appended. A finished run is remembered with the
 * dispatches it still waits to hear about, so every other fact for it is dropped without
 * reading the log; a run not remembered (older, or after a restart) is read from its stream,
 * as any fact for a run not in memory is.
 */
export class LateAnswers {
  readonly #o: LateAnswersOptions;
  /** Finished runs (at most `finishedKept`, oldest dropped first) and their open cancelled dispatches. */
  readonly #finished = new Map<RunId, ReadonlySet<string>>();

  constructor(options: LateAnswersOptions) {
    this.#o = options;
  }

  /** True when the run is remembered as finished. */
  knows(runId: RunId): boolean {
    return this.#finished.has(runId);
  }

  /** How many finished runs are remembered (at most `finishedKept`). */
  get size(): number {
    return this.#finished.size;
  }

  /**
   * A run ended: remember it, with its cancelled dispatches not answered yet. The ids are
   * copied: read from the log, each would keep its whole record alive (own-string.ts).
   */
  remember(slot: RunSlot): void {
    const open = openCancels(slot.cancelled);
    this.#finished.delete(slot.runId);
    this.#finished.set(slot.runId, open.size === 0 ? NONE : new Set([...open].map(ownString)));
    if (this.#finished.size > (this.#o.finishedKept ?? FINISHED_KEPT)) {
      const oldest = this.#finished.keys().next().value;
      if (oldest !== undefined) this.#finished.delete(oldest);
    }
  }

  /** Facts for a finished run (`slot` when it was just read): appends the answers among them. */
  async handle(runId: RunId, batch: readonly Arrival[], slot?: RunSlot, retried = false): Promise<void> {
    const awaiting = slot ? openCancels(slot.cancelled) : this.#finished.get(runId);
    const wanted = (a: Arrival) => a.from === 'bus' && awaiting?.has(a.answers.dispatchId) === true;
    if (!awaiting || !batch.some(wanted)) return;
    const run = slot ?? (await loadRun(this.#o.store, runId, this.#o.programs));
    if (!run) return;
    const decision = decideLateFacts(run, batch, this.#o.clock.now());
    for (const { arrival, error } of decision.refused) {
      const inbound = arrival.fact;
      this.#o.log.warn(
        { event: 'message.rejected', runId, type: inbound.type, id: inbound.id, error: errorInfo(error) },
        'answer to a cancelled dispatch refused',
      );
    }
    if (decision.toAppend.length === 0) return;
    try {
      const result = await this.#o.store.append(run.stream, decision.toAppend, {
        expectedVersion: run.version,
      });
      for (const e of result.events) run.seen.add(e.id);
      run.version = result.version;
      const open = new Set(awaiting);
      for (const e of decision.toAppend) open.delete((e.data as { dispatchId: string }).dispatchId);
      if (this.#finished.has(runId)) this.#finished.set(runId, open.size > 0 ? open : NONE);
      publishEvents(this.#o.bus, this.#o.ns, run.jobId, runId, result.events);
    } catch (e) {
      if (!isVersionConflict(e) || retried) throw e;
      // Another writer appended meanwhile: read the stream again and decide again.
      const fresh = await loadRun(this.#o.store, runId, this.#o.programs);
      if (fresh) await this.handle(runId, batch, fresh, true);
    }
  }
}
