/**
 * One mailbox per key (a run): items delivered for a key are handled in order, several at a
 * time when they queue up (`handle` gets the whole backlog), keys concurrently. When `handle`
 * throws (the log could not take the batch: disk full, store closing) the batch goes back to
 * the front and is retried after a backoff (100 ms doubling, at most 5 s) until it succeeds or
 * the mailboxes stop.
 */
export class Mailboxes<K, T> {
  readonly #boxes = new Map<K, { items: T[]; idle: Promise<void> }>();
  #stopped = false;

  constructor(
    private readonly handle: (key: K, batch: T[]) => Promise<void>,
    private readonly onFailure: (key: K, attempt: number, error: unknown) => void,
    private readonly wait: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Queues items; resolves when this key's backlog (these items included) has been handled. */
  deliver(key: K, items: readonly T[]): Promise<void> {
    const box = this.#boxes.get(key);
    if (box) {
      box.items.push(...items);
      return box.idle;
    }
    const fresh = { items: [...items], idle: Promise.resolve() };
    this.#boxes.set(key, fresh);
    fresh.idle = this.#drain(key, fresh);
    return fresh.idle;
  }

  /** Stops taking batches and waits for the ones being handled. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#boxes.values()].map((b) => b.idle.catch(() => {})));
  }

  async #drain(key: K, box: { items: T[] }): Promise<void> {
    let failures = 0;
    try {
      while (box.items.length > 0 && !this.#stopped) {
        const batch = box.items.splice(0);
        try {
          await this.handle(key, batch);
          failures = 0;
        } catch (e) {
          box.items.unshift(...batch);
          failures += 1;
          this.onFailure(key, failures, e);
          await this.wait(Math.min(5_000, 100 * 2 ** failures));
        }
      }
    } finally {
      this.#boxes.delete(key);
    }
  }
}
