import type { Clock, SimulatedClock } from '../../contracts/clock.js';

/** Cancels a scheduled callback; calling it after the callback ran (or twice) does nothing. */
export type CancelTimer = () => void;

/**
 * Port: wall-clock callbacks for the scheduler (run timers, cron ticks). `at` is an absolute
 * time in the clock's milliseconds; a time in the past fires as soon as possible. Callbacks
 * never throw into the timer service: the scheduler guards them.
 */
export interface TimerService {
  /** Runs `fn` once the clock reaches `at`. */
  at(at: number, fn: () => void): CancelTimer;
}

/** setTimeout's ceiling (about 24.8 days): longer waits are chained. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * Timers on the real event loop against `clock` (unref'd, so a pending tick never keeps a
 * process alive). A wait longer than setTimeout allows is re-armed in steps.
 */
export const systemTimers = (clock: Clock): TimerService => ({
  at(at, fn) {
    let handle: ReturnType<typeof setTimeout> | undefined;
    let cancelled = false;
    const arm = () => {
      if (cancelled) return;
      const delay = at - clock.now();
      if (delay <= 0) {
        handle = setTimeout(() => {
          if (!cancelled) fn();
        }, 0);
      } else {
        handle = setTimeout(arm, Math.min(delay, MAX_DELAY));
      }
      handle.unref?.();
    };
    arm();
    return () => {
      cancelled = true;
      if (handle !== undefined) clearTimeout(handle);
    };
  },
});

interface ManualEntry {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * Timers driven by a SimulatedClock, for tests and simulations: nothing fires until
 * `advanceTo` / `advance` moves the clock, then every due callback runs in time order (ties
 * in scheduling order), the clock set to each callback's time first.
 *
 * @example
 * const clock = new SimulatedClock(T0);
 * const timers = new ManualTimers(clock);
 * timers.at(T0 + 1000, () => fired.push('x'));
 * await timers.advance(1000); // fired = ['x'], clock.now() = T0 + 1000
 */
export class ManualTimers implements TimerService {
  readonly #clock: SimulatedClock;
  #entries: ManualEntry[] = [];
  #seq = 0;
  /**
   * Awaited after each callback, so the async work it started (appends, publishes, the next
   * timer it arms) completes before the next due callback: set it to the actor's `idle()`.
   */
  idle: () => Promise<void> = settle;

  constructor(clock: SimulatedClock) {
    this.#clock = clock;
  }

  at(at: number, fn: () => void): CancelTimer {
    const entry: ManualEntry = { at, seq: this.#seq++, fn };
    this.#entries.push(entry);
    return () => {
      this.#entries = this.#entries.filter((e) => e !== entry);
    };
  }

  /** Callbacks waiting to fire. */
  get pending(): number {
    return this.#entries.length;
  }

  /** The time of the next callback, if any. */
  next(): number | undefined {
    return this.#sorted()[0]?.at;
  }

  /** Moves the clock to `until`, firing every callback due on the way (and those they schedule). */
  async advanceTo(until: number): Promise<void> {
    for (;;) {
      const due = this.#sorted().find((e) => e.at <= until);
      if (!due) break;
      this.#entries = this.#entries.filter((e) => e !== due);
      if (due.at > this.#clock.now()) this.#clock.set(due.at);
      due.fn();
      await this.idle();
    }
    if (until > this.#clock.now()) this.#clock.set(until);
    await this.idle();
  }

  advance(ms: number): Promise<void> {
    return this.advanceTo(this.#clock.now() + ms);
  }

  #sorted(): ManualEntry[] {
    return [...this.#entries].sort((a, b) => a.at - b.at || a.seq - b.seq);
  }
}

/** Default `idle`: yields to the event loop a few times so chained promises complete. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
};
