import type { KV, KvEntry } from '@nats-io/kv';
import { encodeSubjectToken } from '../../contracts/subject-token.js';
import type { VersionedRecord, VersionedRecords } from '../versioned-records.js';
import { isTransient, isWrongLastSequence, jetstreamError, retryTransient } from './transient.js';

export interface KvRecordsOptions {
  /** The bucket's name, for error messages. */
  name?: string;
  /** How long a read or write keeps retrying transient failures (a node failing over); default 30 s. */
  retryWithinMs?: number;
}

/** A KV key for any record key: one subject-safe token (`encodeSubjectToken`), valid in a bucket. */
export const kvKeyOf = (key: string): string => encodeSubjectToken(key);

const live = (entry: KvEntry | null): entry is KvEntry => entry !== null && entry.operation === 'PUT';

/**
 * `VersionedRecords` over a JetStream KV bucket (decision 013: the table has the shape of a
 * bucket). A record's revision is its KV revision (the stream sequence of its last write), and
 * `compareAndSet` is a publish with `Nats-Expected-Last-Subject-Sequence`: the stream leader
 * refuses it when another writer got there first, on one server or on an R3 cluster alike.
 *
 * Reads go to the stream leader (the bucket has no direct gets), so a compare-and-set that lost
 * reads the winner's record, never a replica's older copy. Transient failures (timeouts, a
 * leader election after a node died) are retried for `retryWithinMs`. A write whose answer was
 * lost may still have happened: before retrying, and when a retry is refused, the record is
 * read back, and a record holding exactly the bytes this call wrote is this call's write.
 * A deleted or purged key counts as absent (revision 0).
 *
 * Failure semantics: `bus_unavailable` once retries are exhausted or for anything else NATS
 * refuses (permissions, no JetStream); nothing is known to be written then.
 *
 * @example
 * const kv = await new Kvm(nc).open('lily-default-ledger');
 * const claims = kvVersionedRecords<LedgerEntry>(kv);
 */
export const kvVersionedRecords = <V>(kv: KV, o: KvRecordsOptions = {}): VersionedRecords<V> => {
  const withinMs = o.retryWithinMs ?? 30_000;
  const read = (k: string) => retryTransient(() => kv.get(k), { withinMs });
  /** The revision to expect for "absent": 0, or the revision of a delete/purge marker. */
  const absentRevision = async (k: string): Promise<number | undefined> => {
    const entry = await read(k);
    if (entry === null) return 0;
    return entry.operation === 'PUT' ? undefined : entry.revision;
  };
  /** The revision of `data` under `k` when the record holds exactly it (our own write came through). */
  const ours = async (k: string, data: string): Promise<number | undefined> => {
    const entry = await read(k);
    return live(entry) && entry.string() === data ? entry.revision : undefined;
  };

  /** One publish with the expected revision: the new revision, `lost` (another writer won), or its error. */
  const put = async (k: string, data: string, previous: number): Promise<number | 'lost'> => {
    try {
      return await kv.put(k, data, { previousSeq: previous });
    } catch (e) {
      if (isWrongLastSequence(e)) return 'lost';
      throw e;
    }
  };

  /** After "absent" lost: the revision of a delete/purge marker to expect instead, if that is what is there. */
  const markerInstead = async (k: string, previous: number): Promise<number | undefined> => {
    if (previous !== 0) return undefined;
    const marker = await absentRevision(k);
    return marker !== undefined && marker > 0 ? marker : undefined;
  };

  const write = async (k: string, data: string, expected: number): Promise<number | undefined> => {
    const until = Date.now() + withinMs;
    let previous = expected;
    let ambiguous = false;
    for (let attempt = 0; ; attempt++) {
      try {
        const written = await put(k, data, previous);
        if (written !== 'lost') return written;
        // Refused after an unanswered attempt: that attempt may be the write that got in.
        if (ambiguous) return await ours(k, data);
        const marker = await markerInstead(k, previous);
        if (marker === undefined) return undefined;
        previous = marker;
      } catch (e) {
        if (!isTransient(e) || Date.now() >= until) throw e;
        ambiguous = true;
        const landed = await ours(k, data);
        if (landed !== undefined) return landed;
        await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt)));
      }
    }
  };

  return {
    async get(key): Promise<VersionedRecord<V> | undefined> {
      const k = kvKeyOf(key);
      try {
        const entry = await read(k);
        return live(entry) ? { value: entry.json<V>(), revision: entry.revision } : undefined;
      } catch (e) {
        throw jetstreamError(e, `KV ${o.name ?? 'bucket'} get`, { key });
      }
    },
    async compareAndSet(key, value, expected) {
      const k = kvKeyOf(key);
      try {
        return await write(k, JSON.stringify(value), expected);
      } catch (e) {
        throw jetstreamError(e, `KV ${o.name ?? 'bucket'} compare-and-set`, { key, expected });
      }
    },
  };
};
