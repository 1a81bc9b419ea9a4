import { LilyClient, type LilyClientOptions } from '../../client/index.js';

/** How long a replaced client stays open for the requests still using it. */
const RETIRE_AFTER_MS = 30_000;

/**
 * The console's `LilyClient`, replaceable. A client holds on to the NATS it first found; when a
 * deployment is stopped and started again (a new managed nats-server, a new port), the live
 * feed replaces the client so reads, actions and the feed reach the new one. The old client is
 * closed once the requests that hold it are done (after a grace period).
 */
export class ClientHolder {
  readonly #options: LilyClientOptions;
  #client: LilyClient;
  readonly #retiring = new Set<NodeJS.Timeout>();
  readonly #retired = new Set<LilyClient>();

  private constructor(options: LilyClientOptions, client: LilyClient) {
    this.#options = options;
    this.#client = client;
  }

  static async open(options: LilyClientOptions): Promise<ClientHolder> {
    return new ClientHolder(options, await LilyClient.open(options));
  }

  get client(): LilyClient {
    return this.#client;
  }

  /** Opens a fresh client for what comes next; the current one is closed after the grace period. */
  async replace(): Promise<LilyClient> {
    const old = this.#client;
    this.#client = await LilyClient.open(this.#options);
    this.#retired.add(old);
    const timer = setTimeout(() => {
      this.#retiring.delete(timer);
      this.#retired.delete(old);
      void old.close().catch(() => undefined);
    }, RETIRE_AFTER_MS);
    timer.unref();
    this.#retiring.add(timer);
    return this.#client;
  }

  /** Closes the current client and every retired one. */
  async close(): Promise<void> {
    for (const t of this.#retiring) clearTimeout(t);
    this.#retiring.clear();
    const all = [this.#client, ...this.#retired];
    this.#retired.clear();
    await Promise.all(all.map((c) => c.close().catch(() => undefined)));
  }
}
