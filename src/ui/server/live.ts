import type { ServerResponse } from 'node:http';
import type { EventWatch } from '../../client/index.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import type { LiveMessage } from '../model/wire.js';
import type { ClientHolder } from './client-holder.js';
import { SECURITY_HEADERS } from './http.js';

/** How often a missing NATS is looked for again. */
const RETRY_MS = 2_000;
/** A connection down this long is given up on: a new client finds the project's NATS afresh. */
const STALE_MS = 6_000;
/** SSE comment lines keep proxies and the browser from timing the stream out. */
const HEARTBEAT_MS = 15_000;

interface Listener {
  res: ServerResponse;
  /** Only this run's events (else every event). */
  runId: string | undefined;
}

const runIdOf = (stream: string): string | null => (stream.startsWith('run/') ? stream.slice(4) : null);

/** A compact notice of an appended event: the page re-reads what it shows from the log. */
const notice = (e: StoredEvent): LiveMessage => ({
  kind: 'event',
  stream: e.stream,
  seq: e.seq,
  pos: e.pos,
  type: e.type,
  at: e.at,
  runId: runIdOf(e.stream),
  jobId:
    typeof (e.data as { jobId?: unknown } | null)?.jobId === 'string'
      ? (e.data as { jobId: string }).jobId
      : null,
});

/**
 * Server-sent events for the console, fed from NATS through the client (`events.watch`). The
 * log stays the truth: a notice says that a stream grew, and the page re-reads it through the
 * API; when NATS was down (events may have been missed) every page is told to re-read all it
 * shows. Without NATS the feed retries every 2 s; a connection down for 6 s is replaced by a
 * new client (a deployment restarted on a new port is found again).
 */
export class LiveFeed {
  readonly #holder: ClientHolder;
  readonly #listeners = new Set<Listener>();
  #watch: EventWatch | undefined;
  #connecting = false;
  #downSince: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(holder: ClientHolder) {
    this.#holder = holder;
  }

  /** True while the feed is subscribed and NATS is connected. */
  get live(): boolean {
    return this.#watch !== undefined && this.#watch.status === 'live';
  }

  start(): void {
    this.#timer = setInterval(() => void this.#tick(), RETRY_MS);
    this.#timer.unref();
    this.#heartbeat = setInterval(() => {
      for (const l of this.#listeners) l.res.write(': ping\n\n');
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
    void this.#tick();
  }

  /** Opens an SSE stream on `res` (already authenticated) and keeps it until the browser leaves. */
  attach(res: ServerResponse, runId: string | undefined): void {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const listener: Listener = { res, runId };
    this.#listeners.add(listener);
    this.#send(listener, { kind: 'hello', live: this.live });
    res.on('close', () => this.#listeners.delete(listener));
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    clearInterval(this.#heartbeat);
    for (const l of this.#listeners) l.res.end();
    this.#listeners.clear();
    await this.#watch?.close();
    this.#watch = undefined;
  }

  #send(l: Listener, m: LiveMessage): void {
    l.res.write(`data: ${JSON.stringify(m)}\n\n`);
  }

  #broadcast(m: LiveMessage): void {
    for (const l of this.#listeners) {
      if (m.kind === 'event' && l.runId !== undefined && m.runId !== l.runId) continue;
      this.#send(l, m);
    }
  }

  #status(live: boolean): void {
    if (live) this.#downSince = undefined;
    else this.#downSince ??= Date.now();
    this.#broadcast({ kind: 'status', live });
  }

  async #tick(): Promise<void> {
    if (this.#closed || this.#connecting) return;
    if (this.#watch && this.#watch.status === 'live') return;
    this.#connecting = true;
    try {
      if (this.#watch && this.#downSince !== undefined && Date.now() - this.#downSince >= STALE_MS) {
        await this.#watch.close();
        this.#watch = undefined;
        await this.#holder.replace();
      }
      if (this.#watch) return;
      const watch = await this.#holder.client.events.watch({
        onEvent: (e) => this.#broadcast(notice(e)),
        onStatus: (s) => this.#status(s === 'live'),
      });
      if (this.#closed) {
        await watch.close();
        return;
      }
      this.#watch = watch;
      this.#status(true);
    } catch {
      // No NATS yet (no deployment): try again at the next tick.
    } finally {
      this.#connecting = false;
    }
  }
}
