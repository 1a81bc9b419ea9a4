import type { PreparedRun } from './prepare-run.js';
import type { QueuedRun, RunIndex } from './run-index.js';
import { headMayStart } from './scheduler-decisions.js';

/**
 * Starts the queued runs of a job while it has capacity, one pump at a time per job (FIFO).
 * A queued run is prepared when it reaches the head (after a restart it was not); one that no
 * longer prepares is dropped (`prepare` closed it); one cancelled meanwhile is skipped.
 */
export class QueuePump {
  readonly #pumps = new Map<string, Promise<void>>();

  constructor(
    private readonly index: RunIndex,
    private readonly o: {
      prepare(run: QueuedRun): Promise<PreparedRun | undefined>;
      launch(prepared: PreparedRun): void;
      track(work: Promise<unknown>): Promise<unknown>;
      stopped(): boolean;
    },
  ) {}

  /** Pumps a job's queue after what is already pumping for it. */
  pump(jobId: string): void {
    const previous = this.#pumps.get(jobId) ?? Promise.resolve();
    const next = previous.then(() => this.#pumpNow(jobId));
    this.#pumps.set(jobId, next);
    this.o.track(next).finally(() => {
      if (this.#pumps.get(jobId) === next) this.#pumps.delete(jobId);
    });
  }

  async #pumpNow(jobId: string): Promise<void> {
    while (!this.o.stopped()) {
      const head = this.index.queue(jobId)[0];
      if (!head) return;
      const prepared = head.prepared ?? (await this.o.prepare(head));
      if (this.index.queue(jobId)[0] !== head) continue; // cancelled meanwhile
      if (!prepared) {
        this.index.shift(jobId);
        continue;
      }
      head.prepared = prepared;
      if (!headMayStart(this.index.activeCount(jobId), prepared)) return;
      this.index.shift(jobId);
      this.o.launch(prepared);
    }
  }
}
