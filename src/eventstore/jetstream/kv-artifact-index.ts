import type { KV } from '@nats-io/kv';
import type { ArtifactRef } from '../../contracts/events/shared-schemas.js';
import type { ArtifactIndex } from '../artifact-parts.js';
import { isWrongLastSequence, jetstreamError, retryTransient } from './transient.js';

/** Reads at most this many records at once when listing. */
const PARALLEL_READS = 32;

const collect = async (keys: AsyncIterable<string>): Promise<string[]> => {
  const out: string[] = [];
  for await (const k of keys) out.push(k);
  return out.sort();
};

/**
 * Artifact provenance records in a JetStream KV bucket: key `<sha256>.<record key>` (both hex,
 * so valid KV tokens), value the ArtifactRef as JSON. A record is created once (`create`
 * refuses an existing key: the first record stays, as in every index), and removed by purge.
 * Listing reads the key list, then the records.
 *
 * Failure semantics: `bus_unavailable` for NATS failures once transient ones were retried.
 */
export const createKvArtifactIndex = (kv: KV, o: { retryWithinMs?: number } = {}): ArtifactIndex => {
  const withinMs = o.retryWithinMs ?? 30_000;
  const nats = async <T>(what: string, op: () => Promise<T>): Promise<T> => {
    try {
      return await retryTransient(op, { withinMs });
    } catch (e) {
      throw jetstreamError(e, `artifact index ${what}`);
    }
  };
  const read = async (key: string): Promise<ArtifactRef | undefined> => {
    const entry = await nats('get', () => kv.get(key));
    return entry && entry.operation === 'PUT' ? entry.json<ArtifactRef>() : undefined;
  };
  const readAll = async (keys: string[]): Promise<ArtifactRef[]> => {
    const out: ArtifactRef[] = [];
    for (let i = 0; i < keys.length; i += PARALLEL_READS) {
      const refs = await Promise.all(keys.slice(i, i + PARALLEL_READS).map(read));
      for (const r of refs) if (r) out.push(r);
    }
    return out;
  };
  const keysOf = (filter?: string) => nats('keys', async () => collect(await kv.keys(filter)));
  return {
    get: (sha, recordKey) => read(`${sha}.${recordKey}`),
    bySha: async (sha) => readAll(await keysOf(`${sha}.*`)),
    byRun: async (runId) => (await readAll(await keysOf())).filter((r) => r.runId === runId),
    all: async () => readAll(await keysOf()),
    async put(recordKey, ref) {
      const key = `${ref.sha256}.${recordKey}`;
      await nats('put', async () => {
        try {
          await kv.create(key, JSON.stringify(ref));
        } catch (e) {
          // The record exists: the index keeps the first one.
          if (!isWrongLastSequence(e)) throw e;
        }
      });
    },
    async removeSha(sha) {
      const keys = await keysOf(`${sha}.*`);
      for (const key of keys) await nats('purge', () => kv.purge(key));
      return keys.length;
    },
    async close() {},
  };
};
