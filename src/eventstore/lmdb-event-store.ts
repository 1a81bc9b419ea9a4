import type { RootDatabase } from 'lmdb';
import { LilyError, toLilyError } from '../contracts/errors.js';
import type { NewEvent, StoredEvent } from '../contracts/events/envelope.js';
import { probe } from '../contracts/probe.js';
import { assertStreamName, isStreamName, prepareBatch, resolveBatch, storeClosed } from './append-batch.js';
import { decodeJsonEvent, encodeStoredEvent, isJsonEvent } from './event-bytes.js';
import {
  ANY,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type ReadAllOptions,
  type ReadStreamOptions,
  type Snapshot,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionHandler,
} from './event-store.js';
import { beforeThisCommit, durableWrite, groupCommitsSettled } from './group-commit.js';
import { closeLilyLmdb, DB_NAMES, openLilyLmdb, openNamedDb, openRawDb } from './lmdb-env.js';
import { readOrCorrupt } from './lmdb-integrity.js';
import { AppendNotifier, startSubscription, type TypedRead } from './subscription.js';
import { mayBeOfTypes, typeNeedles } from './type-scan.js';

export interface LmdbEventStoreOptions {
  /** Directory of the LMDB environment (`.lily/db`). Ignored when `root` is given. */
  path?: string;
  /** An environment opened with `openLilyLmdb`, shared with other stores; not closed by `close()`. */
  root?: RootDatabase;
  /**
   * How often live subscriptions look for appends made by other processes (ms). Appends made
   * through this store wake subscribers at once. Default 20.
   */
  pollIntervalMs?: number;
}

export const DEFAULT_POLL_INTERVAL_MS = 20;
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

type AppendOutcome = AppendResult | { refused: unknown };

/**
 * The LMDB adapter. One append is one LMDB write transaction (a synchronous group commit,
 * holding LMDB's inter-process writer lock: decision 037), so the read of the stream head and
 * the global position and the writes that advance them are atomic across every process that
 * opens the environment. Appends issued in the same event turn share one transaction and one fsync.
 *
 * @example
 * const store = openLmdbEventStore({ path: '.lily/db' });
 */
export const openLmdbEventStore = (options: LmdbEventStoreOptions): EventStore => {
  if (!options.root && !options.path) {
    throw new LilyError('eventstore_unavailable', 'openLmdbEventStore needs a path or a root', {});
  }
  const ownsRoot = !options.root;
  const root = options.root ?? openLilyLmdb(options.path as string);
  const file = (root as { path?: string }).path ?? options.path ?? '.lily/db';
  const { events, rawEvents, streamIndex, heads, eventIds, snapshots, meta } = readOrCorrupt(
    file,
    'the list of databases',
    () => ({
      /** Events written before decision 036, as msgpack: read through this handle only. */
      events: openNamedDb<StoredEvent, number>(root, DB_NAMES.events),
      /** The same database, its values as stored: events are written and read as their JSON bytes. */
      rawEvents: openRawDb<number>(root, DB_NAMES.events),
      streamIndex: openNamedDb<number, [string, number]>(root, DB_NAMES.streamIndex),
      heads: openNamedDb<number, string>(root, DB_NAMES.heads),
      eventIds: openNamedDb<number, [string, string]>(root, DB_NAMES.eventIds),
      snapshots: openNamedDb<unknown, [string, number]>(root, DB_NAMES.snapshots),
      meta: openNamedDb<number, string>(root, DB_NAMES.meta),
    }),
  );
  const notifier = new AppendNotifier();
  /** A stored event as read back: decodable and at the position it is filed under. */
  const notAnEvent = (pos: number, what: string): LilyError => {
    const where = Number.isSafeInteger(pos) ? `at position ${pos}` : 'under an undecodable key';
    const reason = `${what} ${where} is not a stored event`;
    return new LilyError('eventstore_corrupt', `the event store at ${file} is damaged: ${reason}`, {
      file,
      reason,
    });
  };
  const checked = (pos: number, e: unknown, what: string): StoredEvent | undefined => {
    if (e === undefined) return undefined;
    const s = e as Partial<StoredEvent> | null;
    if (typeof s !== 'object' || s === null || s.pos !== pos || typeof s.stream !== 'string') {
      throw notAnEvent(pos, what);
    }
    return s as StoredEvent;
  };
  /** The event stored at `pos`, from bytes just read (JSON; msgpack for one written before decision 036). */
  const decodeAt = (pos: number, raw: Buffer | undefined, what: string): StoredEvent | undefined => {
    if (raw === undefined) return undefined;
    return checked(pos, isJsonEvent(raw) ? decodeJsonEvent(raw) : events.get(pos), what);
  };
  /** The event at `pos`, or undefined. */
  const eventAt = (pos: number, what: string): StoredEvent | undefined =>
    decodeAt(pos, rawEvents.getBinaryFast(pos), what);
  const pollMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  let closed = false;
  let live = 0;
  let poller: NodeJS.Timeout | undefined;
  let seenPos = 0;

  const open = (what: string) => {
    if (closed) throw storeClosed(what);
  };
  const lastPos = (): number => readOrCorrupt(file, 'the log position', () => meta.get('pos') ?? 0);

  /** The stored events with the ids of `batch` (none when the stream has no events yet). */
  const findExisting = (stream: string, batch: NewEvent[], version: number) =>
    batch.map((e) => {
      if (version === 0) return undefined;
      const pos = eventIds.get([stream, e.id]);
      return pos === undefined ? undefined : eventAt(pos, `an event of stream ${stream}`);
    });

  const writeBatch = (stream: string, batch: NewEvent[], expected: AppendOptions['expectedVersion']) => {
    const version = heads.get(stream) ?? 0;
    let dedupe: AppendResult | undefined;
    try {
      dedupe = resolveBatch(stream, batch, findExisting(stream, batch, version), expected ?? ANY, version);
    } catch (refused) {
      return { refused };
    }
    if (dedupe) return dedupe;
    const base = lastPos();
    const stored: StoredEvent[] = [];
    for (let i = 0; i < batch.length; i++) {
      const { id, type, at, data, meta } = batch[i] as NewEvent;
      // The fields in the order the log has always stored them (JSON keeps key order).
      const e: StoredEvent = { id, type, at, data, meta, stream, seq: version + i + 1, pos: base + i + 1 };
      rawEvents.put(e.pos, encodeStoredEvent(e));
      streamIndex.put([stream, e.seq], e.pos);
      eventIds.put([stream, id], e.pos);
      stored.push(e);
    }
    if (stored.length > 0) {
      heads.put(stream, version + stored.length);
      meta.put('pos', base + stored.length);
    }
    return { stream, events: stored, version: version + stored.length, deduplicated: false };
  };

  const readAll = async (o: ReadAllOptions = {}): Promise<StoredEvent[]> => {
    open('readAll');
    return readOrCorrupt(file, 'the event log', () => {
      const out: StoredEvent[] = [];
      for (const { key, value } of rawEvents.getRange({
        start: Math.max(1, o.fromPos ?? 1),
        limit: o.limit,
      })) {
        out.push(decodeAt(key, value, 'an event') as StoredEvent);
      }
      return out;
    });
  };

  /** `readAll` keeping the events of `types`, decoding only those whose bytes may be one. */
  const readTypes = async (
    fromPos: number,
    limit: number,
    types: ReadonlySet<string>,
  ): Promise<TypedRead> => {
    open('readAll');
    return readOrCorrupt(file, 'the event log', () => {
      const needles = typeNeedles(types);
      const out: StoredEvent[] = [];
      let through = 0;
      for (const { key, value } of rawEvents.getRange({ start: Math.max(1, fromPos), limit })) {
        if (!Number.isSafeInteger(key) || key <= through) throw notAnEvent(key, 'an event');
        through = key;
        if (!mayBeOfTypes(value, needles)) continue;
        const e = decodeAt(key, value, 'an event');
        if (e && types.has(e.type)) out.push(e);
      }
      return { events: out, through };
    });
  };

  const poll = () => {
    root.resetReadTxn();
    const pos = lastPos();
    if (pos !== seenPos) {
      seenPos = pos;
      notifier.notify();
    }
  };
  const startPolling = () => {
    live += 1;
    if (poller) return;
    seenPos = lastPos();
    poller = setInterval(poll, pollMs);
    poller.unref();
  };
  const stopPolling = () => {
    live -= 1;
    if (live > 0 || !poller) return;
    clearInterval(poller);
    poller = undefined;
  };

  return {
    async append(stream: string, batchIn: readonly NewEvent[], o: AppendOptions = {}): Promise<AppendResult> {
      open('append');
      probe('append.start', stream);
      const batch = prepareBatch(stream, batchIn);
      probe('append.validated', stream);
      const { onWritten, beforeCommit } = o;
      const outcome: AppendOutcome = await durableWrite(
        root,
        'append',
        () => {
          probe('append.txn', stream);
          const written = writeBatch(stream, batch, o.expectedVersion);
          probe('append.written', stream);
          return written;
        },
        (onWritten || beforeCommit) &&
          ((out) => {
            if ('refused' in out || out.deduplicated || out.events.length === 0) return;
            if (beforeCommit) beforeThisCommit(beforeCommit);
            onWritten?.(out);
          }),
      );
      if ('refused' in outcome) throw toLilyError(outcome.refused);
      if (outcome.events.length > 0 && !outcome.deduplicated) notifier.notify();
      probe('append.end', stream);
      return outcome;
    },

    async readEvent(stream: string, id: string): Promise<StoredEvent | undefined> {
      open('readEvent');
      assertStreamName(stream);
      return readOrCorrupt(file, `stream ${stream}`, () => {
        const pos = eventIds.get([stream, id]);
        return pos === undefined ? undefined : eventAt(pos, `an event of stream ${stream}`);
      });
    },

    async readStream(stream: string, o: ReadStreamOptions = {}): Promise<StoredEvent[]> {
      open('readStream');
      assertStreamName(stream);
      const backward = o.direction === 'backward';
      const from = o.fromSeq ?? (backward ? MAX_SEQ : 1);
      return readOrCorrupt(file, `stream ${stream}`, () => {
        const range = streamIndex.getRange({
          start: [stream, from],
          end: backward ? [stream, 0] : [stream, MAX_SEQ],
          reverse: backward,
          limit: o.limit,
        });
        const out: StoredEvent[] = [];
        for (const { value } of range) {
          const e = eventAt(value, `an event of stream ${stream}`);
          if (e) out.push(e);
        }
        return out;
      });
    },

    readAll,

    subscribe(so: SubscribeOptions, handler: SubscriptionHandler): Subscription {
      open('subscribe');
      startPolling();
      const sub = startSubscription({ readAll, readTypes, lastPositionNow: lastPos, notifier }, so, handler);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        stopPolling();
      };
      sub.done.then(release, release);
      return sub;
    },

    async listStreams(prefix = ''): Promise<string[]> {
      open('listStreams');
      return readOrCorrupt(file, 'the stream list', () => {
        const out: string[] = [];
        for (const key of heads.getKeys(prefix ? { start: prefix } : {})) {
          if (!isStreamName(key)) throw new TypeError('a stored stream name is not valid');
          if (!key.startsWith(prefix)) break;
          out.push(key);
        }
        return out;
      });
    },

    async streamVersion(stream: string): Promise<number> {
      open('streamVersion');
      return heads.get(stream) ?? 0;
    },

    async lastPosition(): Promise<number> {
      open('lastPosition');
      return lastPos();
    },

    async saveSnapshot<S>(stream: string, seq: number, state: S): Promise<void> {
      open('saveSnapshot');
      assertStreamName(stream);
      await durableWrite(root, 'saveSnapshot', () => {
        snapshots.put([stream, seq], state);
      });
    },

    async loadLatestSnapshot<S>(stream: string): Promise<Snapshot<S> | undefined> {
      open('loadLatestSnapshot');
      const range = snapshots.getRange({
        start: [stream, MAX_SEQ],
        end: [stream, -1],
        reverse: true,
        limit: 1,
      });
      for (const { key, value } of range) return { stream, seq: key[1], state: value as S };
      return undefined;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      notifier.end();
      if (poller) clearInterval(poller);
      await (ownsRoot ? closeLilyLmdb(root) : groupCommitsSettled(root));
    },
  };
};
