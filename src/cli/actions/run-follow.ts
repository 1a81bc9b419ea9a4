import type { Bus, BusSubscription } from '../../actors/bus/bus.js';
import { jobEventsPattern } from '../../actors/subjects.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import { isJobId, parseJobId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';

const CATCH_UP_MS = 250;

const isStoredEvent = (v: unknown): v is StoredEvent =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as StoredEvent).stream === 'string' &&
  typeof (v as StoredEvent).seq === 'number' &&
  typeof (v as StoredEvent).type === 'string';

/**
 * Follows one run: its events as published on the bus (subscribed before the run is
 * requested, so none is missed), checked against the log (the truth: anything the bus dropped
 * is read from LMDB every 250 ms). `onEvent` sees every event of the run exactly once, in seq
 * order; `done` resolves with all of them after `run.completed`.
 */
export class RunFollower {
  readonly #store: EventStore;
  readonly #onEvent: (e: StoredEvent) => void;
  readonly #early: StoredEvent[] = [];
  readonly #pending = new Map<number, StoredEvent>();
  readonly #events: StoredEvent[] = [];
  #sub: BusSubscription | undefined;
  #stream: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #resolve: ((events: StoredEvent[]) => void) | undefined;
  #reject: ((e: unknown) => void) | undefined;
  #reading = false;
  readonly done: Promise<StoredEvent[]>;

  constructor(store: EventStore, onEvent: (e: StoredEvent) => void) {
    this.#store = store;
    this.#onEvent = onEvent;
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Subscribes to the job's events (before the run request is sent). */
  listen(bus: Bus, ns: string, jobId: string): void {
    if (!isJobId(jobId)) return;
    this.#sub = bus.subscribe(jobEventsPattern(ns, parseJobId(jobId)), (msg) => {
      const e = msg.json();
      if (!isStoredEvent(e)) return;
      if (this.#stream === undefined) this.#early.push(e);
      else if (e.stream === this.#stream) this.#offer(e);
    });
  }

  /** The run id is known: replays what arrived early, then follows bus + log until completion. */
  follow(runId: string): Promise<StoredEvent[]> {
    this.#stream = `run/${runId}`;
    for (const e of this.#early.splice(0)) if (e.stream === this.#stream) this.#offer(e);
    this.#timer = setInterval(() => void this.#catchUp(), CATCH_UP_MS);
    void this.#catchUp();
    return this.done;
  }

  /** Stops listening (idempotent); `done` stays pending if the run had not completed. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#sub?.unsubscribe();
    this.#sub = undefined;
  }

  #offer(e: StoredEvent): void {
    if (e.seq <= this.#events.length) return;
    this.#pending.set(e.seq, e);
    for (;;) {
      const next = this.#pending.get(this.#events.length + 1);
      if (!next) break;
      this.#pending.delete(next.seq);
      this.#events.push(next);
      this.#onEvent(next);
      if (next.type === 'run.completed') {
        this.close();
        this.#resolve?.(this.#events);
        return;
      }
    }
  }

  async #catchUp(): Promise<void> {
    if (this.#reading || this.#stream === undefined) return;
    this.#reading = true;
    try {
      const fromSeq = this.#events.length + 1;
      for (const e of await this.#store.readStream(this.#stream, { fromSeq })) this.#offer(e);
    } catch (e) {
      this.close();
      this.#reject?.(e);
    } finally {
      this.#reading = false;
    }
  }
}
