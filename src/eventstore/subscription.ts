import { toLilyError } from '../contracts/errors.js';
import type { StoredEvent } from '../contracts/events/envelope.js';
import type { ReadAllOptions, SubscribeOptions, Subscription, SubscriptionHandler } from './event-store.js';

/** Wakes waiting subscriptions when the log may have grown. */
export class AppendNotifier {
  private waiters: (() => void)[] = [];
  private ended = false;

  /** A promise that resolves at the next `notify()` (or at `end()`). Take it before reading. */
  next(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get waiting(): number {
    return this.waiters.length;
  }
}

/** Events of some types from a position on, and the last position looked at (0: none). */
export interface TypedRead {
  events: StoredEvent[];
  through: number;
}

export interface SubscriptionSource {
  readAll(options: ReadAllOptions): Promise<StoredEvent[]>;
  /**
   * Optional: up to `limit` positions from `fromPos` on, keeping the events whose type is in
   * `types` (a store that can tell a type without decoding the event). Without it, every event
   * is read and the types are checked after.
   */
  readTypes?(fromPos: number, limit: number, types: ReadonlySet<string>): Promise<TypedRead>;
  /** Read synchronously at subscribe time, so `'end'` means "after what is committed now". */
  lastPositionNow(): number;
  notifier: AppendNotifier;
}

const BATCH = 512;

/**
 * One loop serves catch-up and live delivery: it reads the log from the next position and, when
 * nothing is there, waits for a notification. Because it only ever asks the log for "positions
 * from N on", there is no hand-over between a catch-up phase and a live phase, so no gap and no
 * duplicate. The wake-up promise is taken before each read, so an append between the read and
 * the wait is never missed.
 */
export const startSubscription = (
  source: SubscriptionSource,
  options: SubscribeOptions,
  handler: SubscriptionHandler,
): Subscription => {
  let closed = false;
  /** Ends the wait under way (close). Never a race with a promise that lives as long as the
   * subscription: each race would leave a reaction on it until close, one per wait. */
  let interrupt: (() => void) | undefined;
  const start = options.fromPos === 'end' ? source.lastPositionNow() + 1 : Math.max(1, options.fromPos ?? 1);
  const state = { position: start - 1 };
  const active = () => !closed && !source.notifier.isEnded;

  const { types, filter } = options;
  const deliver = async (batch: StoredEvent[]): Promise<void> => {
    for (const event of batch) {
      if (!active()) return;
      if ((!types || types.has(event.type)) && (!filter || filter(event))) await handler(event);
      state.position = event.pos;
    }
  };

  /** Reads and delivers the next batch; false when there was nothing to read. */
  const step = async (): Promise<boolean> => {
    const fromPos = state.position + 1;
    if (!types || !source.readTypes) {
      const batch = await source.readAll({ fromPos, limit: BATCH });
      await deliver(batch);
      return batch.length > 0;
    }
    const { events, through } = await source.readTypes(fromPos, BATCH, types);
    await deliver(events);
    if (through < fromPos) return false;
    if (active()) state.position = through;
    return true;
  };

  const loop = async (): Promise<void> => {
    while (active()) {
      const wake = source.notifier.next();
      if ((await step()) || !active()) continue;
      await new Promise<void>((resolve) => {
        interrupt = resolve;
        void wake.then(resolve);
      });
      interrupt = undefined;
    }
  };

  const done = loop().catch((e: unknown) => {
    if (!active()) return;
    closed = true;
    throw toLilyError(e);
  });
  done.catch(() => {});

  return {
    get position() {
      return state.position;
    },
    done,
    async close() {
      closed = true;
      interrupt?.();
      await done.catch(() => {});
    },
  };
};
