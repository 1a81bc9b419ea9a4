import type { Bus } from '../bus/bus.js';
import { errorInfo } from '../error-info.js';
import type { Logger } from '../logger.js';
import type { ExecItem } from '../messages.js';
import { execSubject } from '../subjects.js';
import type { DispatchTerms, EngineSeals } from '../trust/engine-seals.js';

/** A dispatch on its way out: what its seal claims, where it goes, and its span's trace context. */
export interface OutgoingDispatch {
  terms: DispatchTerms;
  executor: string;
  traceparent?: string;
}

/**
 * The engine's dispatches on their way out (decision 034). Every dispatch sent in one
 * synchronous stretch of work, by any run, is sealed with the others: one signature for up to
 * 16 of them instead of one each, and a worker verifies that signature once. The stretch that
 * matters is LMDB's group commit, which runs the `onWritten` hook of every append of its batch in
 * one loop: the run host names `sendNow` as the commit's `beforeCommit`, so the desk leaves after
 * that loop and before the commit's fsync, which blocks the thread (decision 038). Anywhere
 * else the desk leaves in the next microtask (`queueMicrotask`). They leave one message per dispatch,
 * so the queue group still spreads them over the workers. Publishing is best effort, as
 * everywhere in the outbox: a dispatch lost here is re-sent from the log (redelivery, resume),
 * and receivers dedupe on its id.
 */
export class DispatchDesk {
  #waiting: OutgoingDispatch[] = [];
  #scheduled = false;

  constructor(private readonly o: { bus: Bus; ns: string; seals: EngineSeals; log?: Logger }) {}

  /** Queues a dispatch; it leaves in the next microtask with every other one queued before it. */
  send(dispatch: OutgoingDispatch): void {
    this.#waiting.push(dispatch);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Dispatches queued and not yet sent. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Seals and publishes what is queued and hands it to the connection at once: for the run host
   * to call before a commit blocks the thread (one function, so a commit calls it once).
   */
  readonly sendNow = (): void => {
    if (this.#waiting.length === 0) return;
    this.flush();
    this.o.bus.sendNow();
  };

  /** Seals and publishes what is queued, now (the run host calls it when it stops). */
  flush(): void {
    this.#scheduled = false;
    const batch = this.#waiting;
    if (batch.length === 0) return;
    this.#waiting = [];
    let sealed: ExecItem[];
    try {
      sealed = this.o.seals.sealAll(batch.map((d) => d.terms));
    } catch (e) {
      this.#failed(batch.length, e);
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const { executor, traceparent } = batch[i] as OutgoingDispatch;
      const item = sealed[i] as ExecItem;
      try {
        this.o.bus.publish(execSubject(this.o.ns, executor), {
          items: [traceparent === undefined ? item : { ...item, traceparent }],
        });
      } catch (e) {
        this.#failed(1, e);
      }
    }
  }

  #failed(dispatches: number, e: unknown): void {
    this.o.log?.warn(
      { event: 'outbox.dispatch_unsent', dispatches, error: errorInfo(e) },
      'dispatches not sent; they are re-sent from the log',
    );
  }
}
