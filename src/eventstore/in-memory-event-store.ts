import type { NewEvent, StoredEvent } from '../contracts/events/envelope.js';
import { assertStreamName, prepareBatch, resolveBatch, storeClosed } from './append-batch.js';
import {
  ANY,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type ReadAllOptions,
  type ReadStreamOptions,
  type Snapshot,
} from './event-store.js';
import { AppendNotifier, startSubscription } from './subscription.js';

const deepFreeze = <T>(value: T): T => {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
};

/** Clones JSON-compatible data so that callers can never alias what the store holds. */
const copy = <T>(value: T): T => structuredClone(value);

/** Runs a caller's append hook; a throw from it is ignored (the append stands either way). */
const callerHook = (hook: () => void): void => {
  try {
    hook();
  } catch {
    // The caller's hook: not the store's failure.
  }
};

/**
 * The in-memory adapter: the same contract as the LMDB store, for fast, deterministic tests.
 * Stored events are deep-frozen (mutating one throws); nothing survives the process.
 */
export const createInMemoryEventStore = (): EventStore => {
  const log: StoredEvent[] = [];
  const streams = new Map<string, StoredEvent[]>();
  const ids = new Map<string, Map<string, StoredEvent>>();
  const snapshots = new Map<string, Snapshot>();
  const notifier = new AppendNotifier();
  let closed = false;
  const open = (what: string) => {
    if (closed) throw storeClosed(what);
  };

  const readAll = async (options: ReadAllOptions = {}): Promise<StoredEvent[]> => {
    open('readAll');
    const from = Math.max(1, options.fromPos ?? 1);
    return log.slice(from - 1, options.limit === undefined ? undefined : from - 1 + options.limit);
  };

  const write = (stream: string, batch: NewEvent[]): StoredEvent[] => {
    if (batch.length === 0) return [];
    const list = streams.get(stream) ?? [];
    const byId = ids.get(stream) ?? new Map<string, StoredEvent>();
    const stored = batch.map((e, i) =>
      deepFreeze({ ...copy(e), stream, seq: list.length + i + 1, pos: log.length + i + 1 }),
    );
    for (const e of stored) {
      list.push(e);
      log.push(e);
      byId.set(e.id, e);
    }
    streams.set(stream, list);
    ids.set(stream, byId);
    return stored;
  };

  return {
    async append(
      stream: string,
      events: readonly NewEvent[],
      options: AppendOptions = {},
    ): Promise<AppendResult> {
      open('append');
      const batch = prepareBatch(stream, events);
      const version = streams.get(stream)?.length ?? 0;
      const byId = ids.get(stream);
      const existing = batch.map((e) => byId?.get(e.id));
      const dedupe = resolveBatch(stream, batch, existing, options.expectedVersion ?? ANY, version);
      if (dedupe) return dedupe;
      const stored = write(stream, batch);
      if (stored.length > 0) queueMicrotask(() => notifier.notify());
      const result = { stream, events: stored, version: version + stored.length, deduplicated: false };
      if (stored.length > 0) {
        callerHook(() => options.onWritten?.(result));
        callerHook(() => options.beforeCommit?.());
      }
      return result;
    },

    async readEvent(stream: string, id: string): Promise<StoredEvent | undefined> {
      open('readEvent');
      assertStreamName(stream);
      return ids.get(stream)?.get(id);
    },

    async readStream(stream: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
      open('readStream');
      assertStreamName(stream);
      const list = streams.get(stream) ?? [];
      const limit = options.limit ?? Number.POSITIVE_INFINITY;
      if (options.direction === 'backward') {
        const from = Math.min(options.fromSeq ?? list.length, list.length);
        return list.slice(0, Math.max(0, from)).reverse().slice(0, limit);
      }
      const from = Math.max(1, options.fromSeq ?? 1);
      return list.slice(from - 1, from - 1 + limit);
    },

    readAll,

    subscribe(options, handler) {
      open('subscribe');
      return startSubscription({ readAll, lastPositionNow: () => log.length, notifier }, options, handler);
    },

    async listStreams(prefix = ''): Promise<string[]> {
      open('listStreams');
      return [...streams.keys()].filter((s) => s.startsWith(prefix)).sort();
    },

    async streamVersion(stream: string): Promise<number> {
      open('streamVersion');
      return streams.get(stream)?.length ?? 0;
    },

    async lastPosition(): Promise<number> {
      open('lastPosition');
      return log.length;
    },

    async saveSnapshot<S>(stream: string, seq: number, state: S): Promise<void> {
      open('saveSnapshot');
      assertStreamName(stream);
      const current = snapshots.get(stream);
      if (current && current.seq > seq) return;
      snapshots.set(stream, { stream, seq, state: deepFreeze(copy(state)) });
    },

    async loadLatestSnapshot<S>(stream: string): Promise<Snapshot<S> | undefined> {
      open('loadLatestSnapshot');
      const s = snapshots.get(stream);
      return s ? { stream, seq: s.seq, state: copy(s.state) as S } : undefined;
    },

    async close(): Promise<void> {
      closed = true;
      notifier.end();
    },
  };
};
