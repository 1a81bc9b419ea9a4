import type { CANCEL_REASONS } from '../../contracts/events/catalog.js';

export type CancelReason = (typeof CANCEL_REASONS)[number];

/** Cancels remembered for dispatches this worker has not (yet) seen: every worker hears them all. */
const REMEMBERED = 10_000;

/**
 * The dispatches a worker is running and the cancels it has heard. A cancel for a running
 * dispatch aborts its signal (its executor stops the work); a cancel for one the worker does not
 * run is remembered for a while, because the dispatch may still be queued here or on its way
 * (a cancel can overtake a dispatch: they travel on different subjects), and it must not start.
 */
export class DispatchCancellations {
  readonly #running = new Map<string, AbortController>();
  readonly #cancelled = new Map<string, CancelReason>();
  readonly #keep: number;

  constructor(keep = REMEMBERED) {
    this.#keep = keep;
  }

  /** Records a cancel; true when it stopped a dispatch running here. */
  cancel(dispatchId: string, reason: CancelReason): boolean {
    if (!this.#cancelled.has(dispatchId)) {
      this.#cancelled.set(dispatchId, reason);
      if (this.#cancelled.size > this.#keep) {
        const oldest = this.#cancelled.keys().next().value;
        if (oldest !== undefined) this.#cancelled.delete(oldest);
      }
    }
    const running = this.#running.get(dispatchId);
    if (!running) return false;
    running.abort(reason);
    return true;
  }

  /** Why the dispatch was cancelled, if a cancel for it was heard. */
  reasonOf(dispatchId: string): CancelReason | undefined {
    return this.#cancelled.get(dispatchId);
  }

  /** A dispatch starts running here: its signal aborts on a cancel (at once if one was heard). */
  begin(dispatchId: string): AbortSignal {
    const controller = new AbortController();
    const reason = this.#cancelled.get(dispatchId);
    if (reason !== undefined) controller.abort(reason);
    else this.#running.set(dispatchId, controller);
    return controller.signal;
  }

  /** The dispatch is done here. */
  end(dispatchId: string): void {
    this.#running.delete(dispatchId);
  }

  /** Dispatches running here. */
  get running(): number {
    return this.#running.size;
  }
}
