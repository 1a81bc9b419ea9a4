import type { CANCEL_REASONS } from '../../contracts/events/catalog.js';

export type CancelReason = (typeof CANCEL_REASONS)[number];

/** Cancels remembered for dispatches this worker has not (yet) seen: every worker hears them all. */
const REMEMBERED = 10_000;

/**
 * One dispatch running here: whether the run cancelled it, and why. Its `signal` (an
 * AbortController's) is made when first read, already aborted if the cancel came first: most
 * executors never read it.
 */
export class RunningDispatch {
  #reason: CancelReason | undefined;
  #controller: AbortController | undefined;

  /** The first cancel wins, as with an AbortController. */
  abort(reason: CancelReason): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }

  get aborted(): boolean {
    return this.#reason !== undefined;
  }

  get reason(): CancelReason | undefined {
    return this.#reason;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }
}

/**
 * The dispatches a worker is running and the cancels it has heard. A cancel for a running
 * dispatch aborts its signal (its executor stops the work); a cancel for one the worker does not
 * run is remembered for a while, because the dispatch may still be queued here or on its way
 * (a cancel can overtake a dispatch: they travel on different subjects), and it must not start.
 */
export class DispatchCancellations {
  readonly #running = new Map<string, RunningDispatch>();
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

  /** A dispatch starts running here: it is aborted on a cancel (at once if one was heard). */
  begin(dispatchId: string): RunningDispatch {
    const running = new RunningDispatch();
    const reason = this.#cancelled.get(dispatchId);
    if (reason !== undefined) running.abort(reason);
    else this.#running.set(dispatchId, running);
    return running;
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
