/**
 * Runs items with at most `concurrency` at a time, first in first out. `run` failures go to
 * `onCrash` (a handler that throws is a bug: it must turn failures into replies itself).
 */
export class BoundedQueue<T> {
  readonly #waiting: T[] = [];
  #running = 0;
  #idle: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly run: (item: T) => Promise<void>,
    private readonly onCrash: (error: unknown) => void,
  ) {}

  /** Items running plus items waiting. */
  get size(): number {
    return this.#running + this.#waiting.length;
  }

  get running(): number {
    return this.#running;
  }

  push(item: T): void {
    this.#waiting.push(item);
    this.#pump();
  }

  /** Drops the items still waiting (running ones go on). */
  clearWaiting(): void {
    this.#waiting.length = 0;
    if (this.size === 0) this.#settle();
  }

  /** Resolves once nothing runs or waits. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (this.#running < this.concurrency && this.#waiting.length > 0) {
      const item = this.#waiting.shift() as T;
      this.#running += 1;
      this.run(item)
        .catch(this.onCrash)
        .finally(() => {
          this.#running -= 1;
          this.#pump();
          if (this.size === 0) this.#settle();
        });
    }
  }

  #settle(): void {
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
