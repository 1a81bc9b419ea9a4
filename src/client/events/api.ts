import type { Bus } from '../../actors/bus/bus.js';
import { LilyError } from '../../contracts/errors.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import type { ClientContext } from '../context.js';
import type { Tail } from './tail.js';
import type { EventWatch, WatchHandlers } from './watch.js';

/** A raw message of a tail: its subject and payload (JSON when it parses, else the text). */
export interface TailMessage {
  subject: string;
  data: unknown;
  /** The payload as text. */
  text: string;
}

const nothingToTail = (): LilyError =>
  new LilyError(
    'bus_unavailable',
    'nothing to tail: no NATS is running for this project; start a deployment with `lily up` (or pass --nats <url>)',
    { hint: 'lily up' },
  );

/**
 * Live subjects of the project's namespace, from NATS (no engine needed, only its NATS: the
 * configured one, or the managed server while it runs). What is published while nobody
 * listens is not replayed here: the log has it (`runs.get(id).events()`).
 */
export class EventsApi {
  readonly #ctx: ClientContext;

  /** @internal */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx;
  }

  /**
   * Every message on `pattern` until `close()`; by default what an observer credential may
   * read: `lily.<ns>.evt.>` and `lily.<ns>.sys.>` (patterns may be several, space-separated). Throws
   * `bus_unavailable` when no NATS runs, `bus_subject_invalid` for a bad pattern.
   *
   * @example
   * const tail = await client.events.tail('lily.default.sys.>', (m) => console.log(m.subject));
   */
  async tail(pattern: string | undefined, onMessage: (m: TailMessage) => void): Promise<Tail> {
    const observer = await this.#ctx.observerBus();
    if (!observer) throw nothingToTail();
    const { allEventsPattern, sysPattern } = await import('../../actors/subjects.js');
    const patterns = pattern
      ? pattern.split(' ').filter(Boolean)
      : [allEventsPattern(observer.ns), sysPattern(observer.ns)];
    const decoder = new TextDecoder();
    const subs = patterns.map((subject) =>
      observer.bus.subscribe(subject, (msg) => {
        const text = decoder.decode(msg.data);
        let data: unknown = text;
        try {
          data = JSON.parse(text);
        } catch {
          // raw text stays a string
        }
        onMessage({ subject: msg.subject, data, text });
      }),
    );
    await observer.bus.flush();
    const watch = await this.#watchGone(observer.bus);
    return {
      pattern: patterns.join(' '),
      ended: watch.gone,
      close: async () => {
        watch.stop();
        for (const sub of subs) sub.unsubscribe();
      },
    };
  }

  /**
   * A job's events as they are appended, each once, until `close()`. With `since` (a run id:
   * that run and later ones; or an ISO time) the logged events from there come first, with
   * nothing lost or repeated between log and live. Throws `job_not_found` (not a job id),
   * `usage_invalid` (bad `since`), `bus_unavailable`.
   *
   * @example
   * const tail = await client.events.tailJob('hello', { since: runId }, (e) => console.log(e.type));
   */
  async tailJob(jobId: string, o: { since?: string }, onEvent: (e: StoredEvent) => void): Promise<Tail> {
    await this.#ctx.settings();
    const [{ isJobId }, { parseSince, tailJobEvents }] = await Promise.all([
      import('../../contracts/ids.js'),
      import('./tail.js'),
    ]);
    if (!isJobId(jobId))
      throw new LilyError('job_not_found', `no job ${jobId}: not a valid job id`, { id: jobId });
    const since = o.since === undefined ? undefined : parseSince(o.since);
    const observer = await this.#ctx.observerBus();
    if (!observer) throw nothingToTail();
    const store = since === undefined ? undefined : (await this.#ctx.stores()).events;
    const tail = await tailJobEvents(
      observer.bus,
      observer.ns,
      jobId,
      { ...(since ? { since } : {}), ...(store ? { store } : {}) },
      onEvent,
    );
    const watch = await this.#watchGone(observer.bus);
    return {
      pattern: tail.pattern,
      ended: watch.gone,
      close: async () => {
        watch.stop();
        await tail.close();
      },
    };
  }

  /** Watches for the project's NATS going away under a tail (nats-gone.ts). */
  async #watchGone(bus: Bus) {
    const settings = await this.#ctx.settings();
    const { watchProjectNatsGone } = await import('./nats-gone.js');
    return watchProjectNatsGone(bus, settings, this.#ctx.nats);
  }

  /**
   * Every event of the namespace as it is published (run, job and approval streams), until
   * `close()`; `onStatus` hears the connection go `down` and come back `live` (then re-read
   * the log: what was published meanwhile is lost to the watch, not to the log). Throws
   * `bus_unavailable` when no NATS runs for the project.
   *
   * @example
   * const watch = await client.events.watch({ onEvent: (e) => console.log(e.stream, e.type) });
   */
  async watch(h: WatchHandlers): Promise<EventWatch> {
    const observer = await this.#ctx.observerBus();
    if (!observer) throw nothingToTail();
    const { watchNamespaceEvents } = await import('./watch.js');
    return watchNamespaceEvents(observer.bus, observer.ns, h);
  }
}
