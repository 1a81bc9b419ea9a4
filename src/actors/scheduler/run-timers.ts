import type { EventData } from '../../contracts/events/catalog.js';
import type { RunId } from '../../contracts/ids.js';
import type { CancelTimer, TimerService } from './timers.js';

interface Armed {
  runId: RunId;
  fireAt: number;
  cancel: CancelTimer;
}

/**
 * The timers runs ask for (`timer.schedule`: retry backoff, step and run timeouts), in memory
 * and keyed by timer id. A re-sent `timer.schedule` for an armed timer is a no-op; a
 * `timer.cancel` disarms it. Nothing is persisted here: after a restart the run host re-sends
 * every outstanding `timer.schedule` from its log, and a timer whose time has passed fires at
 * once. Firing calls `onFire(runId, timerId)`, which delivers `timer.fired` to the run.
 */
export class RunTimers {
  readonly #armed = new Map<string, Armed>();
  readonly #timers: TimerService;
  readonly #onFire: (runId: RunId, timerId: string) => void;

  constructor(timers: TimerService, onFire: (runId: RunId, timerId: string) => void) {
    this.#timers = timers;
    this.#onFire = onFire;
  }

  /** Arms a timer unless one with this id is armed already. Returns false for a duplicate. */
  schedule(runId: RunId, data: EventData<'timer.scheduled'>): boolean {
    if (this.#armed.has(data.timerId)) return false;
    const cancel = this.#timers.at(data.fireAt, () => {
      this.#armed.delete(data.timerId);
      this.#onFire(runId, data.timerId);
    });
    this.#armed.set(data.timerId, { runId, fireAt: data.fireAt, cancel });
    return true;
  }

  /** Disarms a timer; returns false when none was armed under this id. */
  cancel(timerId: string): boolean {
    const armed = this.#armed.get(timerId);
    if (!armed) return false;
    armed.cancel();
    this.#armed.delete(timerId);
    return true;
  }

  /** Disarms every timer of a run (it finished). */
  cancelRun(runId: RunId): void {
    for (const [timerId, armed] of this.#armed) if (armed.runId === runId) this.cancel(timerId);
  }

  get size(): number {
    return this.#armed.size;
  }

  has(timerId: string): boolean {
    return this.#armed.has(timerId);
  }

  clear(): void {
    for (const armed of this.#armed.values()) armed.cancel();
    this.#armed.clear();
  }
}
