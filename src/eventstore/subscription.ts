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

export interface SubscriptionSource {
  readAll(options: ReadAllOptions): Promise<StoredEvent[]>;
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
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const start = options.fromPos === 'end' ? source.lastPositionNow() + 1 : Math.max(1, options.fromPos ?? 1);
  const state = { position: start - 1 };
  const active = () => !closed && !source.notifier.isEnded;

  const deliver = async (batch: StoredEvent[]): Promise<void> => {
    for (const event of batch) {
      if (!active()) return;
      if (!options.filter || options.filter(event)) await handler(event);
      state.position = event.pos;
    }
  };

  const loop = async (): Promise<void> => {
    while (active()) {
      const wake = source.notifier.next();
      const batch = await source.readAll({ fromPos: state.position + 1, limit: BATCH });
      if (batch.length === 0) await Promise.race([wake, stopped]);
      else await deliver(batch);
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
      stop();
      await done.catch(() => {});
    },
  };
};
