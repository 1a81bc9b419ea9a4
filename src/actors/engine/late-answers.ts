import type { Clock } from '../../contracts/clock.js';
import type { RunId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import { isVersionConflict } from '../../eventstore/event-store.js';
import type { Bus } from '../bus/bus.js';
import { errorInfo } from '../error-info.js';
import type { Logger } from '../logger.js';
import type { Arrival } from './decide-batch.js';
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
}

/** Finished runs remembered with the cancelled dispatches they still wait to hear about. */
const KEPT = 50_000;

/**
 * The run host's side of late-facts.ts: appends the answers to cancelled dispatches of runs that
 * have ended. A finished run is remembered with the dispatches it still waits to hear about,
 * so every other fact for it is dropped without reading the log; after a restart the first fact
 * for an unknown run reads its stream, as any fact for a run not in memory does.
 */
export class LateAnswers {
  readonly #o: LateAnswersOptions;
  readonly #awaiting = new Map<RunId, Set<string>>();

  constructor(options: LateAnswersOptions) {
    this.#o = options;
  }

  /** A run ended: remember its cancelled dispatches that have not been answered yet. */
  remember(slot: RunSlot): void {
    const open = openCancels(slot.cancelled);
    if (open.size === 0) return;
    this.#awaiting.set(slot.runId, open);
    if (this.#awaiting.size > KEPT) {
      const oldest = this.#awaiting.keys().next().value;
      if (oldest !== undefined) this.#awaiting.delete(oldest);
    }
  }

  /** Facts for a finished run (`slot` when it was just read): appends the answers among them. */
  async handle(runId: RunId, batch: readonly Arrival[], slot?: RunSlot, retried = false): Promise<void> {
    const awaiting = slot ? openCancels(slot.cancelled) : this.#awaiting.get(runId);
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
      if (open.size > 0) this.#awaiting.set(runId, open);
      else this.#awaiting.delete(runId);
      publishEvents(this.#o.bus, this.#o.ns, run.jobId, runId, result.events);
    } catch (e) {
      if (!isVersionConflict(e) || retried) throw e;
      // Another writer appended meanwhile: read the stream again and decide again.
      const fresh = await loadRun(this.#o.store, runId, this.#o.programs);
      if (fresh) await this.handle(runId, batch, fresh, true);
    }
  }
}
