/** The async work an actor has started (handlers, appends, pumps), so that `idle()` can await it. */
export class WorkSet {
  readonly #work = new Set<Promise<unknown>>();

  /** Registers `p` until it settles; returns it. */
  track<T>(p: Promise<T>): Promise<T> {
    this.#work.add(p);
    const done = () => this.#work.delete(p);
    p.then(done, done);
    return p;
  }

  /** Resolves when everything tracked so far, and what that started meanwhile, has settled. */
  async idle(): Promise<void> {
    while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
  }
}
