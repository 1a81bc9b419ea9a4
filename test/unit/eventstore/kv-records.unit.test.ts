/**
 * The KV records adapter's hard cases, over a KV stand-in that behaves like a bucket (revisions,
 * expected-last-sequence, delete markers) and can lose answers: a write whose answer never came
 * but which landed is recognised as this call's own, a delete marker counts as absent, and a
 * transient failure is retried.
 */
import { JetStreamApiError } from '@nats-io/jetstream';
import type { KV, KvEntry } from '@nats-io/kv';
import { errors } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { kvVersionedRecords } from '../../../src/eventstore/jetstream/kv-records.js';

type Op = 'PUT' | 'DEL';

const fakeKv = () => {
  const subjects = new Map<string, { data: string; revision: number; operation: Op }>();
  let seq = 0;
  const faults: ('timeout-after-write' | 'timeout-before-write' | 'no-responders')[] = [];
  const entry = (key: string): KvEntry | null => {
    const e = subjects.get(key);
    if (!e) return null;
    return {
      key,
      revision: e.revision,
      operation: e.operation,
      string: () => e.data,
      json: () => JSON.parse(e.data),
    } as unknown as KvEntry;
  };
  const kv = {
    async get(key: string) {
      return entry(key);
    },
    async put(key: string, data: string, o: { previousSeq?: number }) {
      const fault = faults.shift();
      if (fault === 'no-responders') throw new errors.NoRespondersError('$KV');
      if (fault === 'timeout-before-write') throw new errors.TimeoutError();
      const last = subjects.get(key)?.revision ?? 0;
      if (o.previousSeq !== undefined && o.previousSeq !== last) {
        throw new JetStreamApiError({
          code: 400,
          err_code: 10071,
          description: `wrong last sequence: ${last}`,
        });
      }
      seq += 1;
      subjects.set(key, { data, revision: seq, operation: 'PUT' });
      if (fault === 'timeout-after-write') throw new errors.TimeoutError();
      return seq;
    },
    delete(key: string) {
      seq += 1;
      subjects.set(key, { data: '', revision: seq, operation: 'DEL' });
    },
  };
  return { kv: kv as unknown as KV, fake: kv, faults };
};

describe('kvVersionedRecords', () => {
  it('writes by compare-and-set: the first create wins, a stale revision loses', async () => {
    const { kv } = fakeKv();
    const records = kvVersionedRecords<{ n: number }>(kv, { retryWithinMs: 1_000 });
    const first = await records.compareAndSet('r/s/1', { n: 1 }, 0);
    expect(first).toBe(1);
    expect(await records.compareAndSet('r/s/1', { n: 2 }, 0)).toBeUndefined();
    expect(await records.compareAndSet('r/s/1', { n: 3 }, 1)).toBe(2);
    expect(await records.compareAndSet('r/s/1', { n: 4 }, 1)).toBeUndefined();
    expect(await records.get('r/s/1')).toEqual({ value: { n: 3 }, revision: 2 });
  });

  it("a write whose answer was lost but which landed is this call's own", async () => {
    const { kv, faults } = fakeKv();
    const records = kvVersionedRecords<{ n: number }>(kv, { retryWithinMs: 5_000 });
    faults.push('timeout-after-write');
    expect(await records.compareAndSet('k', { n: 1 }, 0)).toBe(1);
    expect(await records.get('k')).toEqual({ value: { n: 1 }, revision: 1 });
  });

  it('a transient failure before the write is retried', async () => {
    const { kv, faults } = fakeKv();
    const records = kvVersionedRecords<{ n: number }>(kv, { retryWithinMs: 5_000 });
    faults.push('no-responders', 'timeout-before-write');
    expect(await records.compareAndSet('k', { n: 7 }, 0)).toBe(1);
  });

  it('another writer getting in during an unanswered attempt is a lost compare-and-set', async () => {
    const { kv, fake, faults } = fakeKv();
    const records = kvVersionedRecords<{ n: number }>(kv, { retryWithinMs: 5_000 });
    faults.push('timeout-before-write');
    const pending = records.compareAndSet('k', { n: 1 }, 0);
    await fake.put('k', JSON.stringify({ n: 99 }), { previousSeq: 0 });
    expect(await pending).toBeUndefined();
    expect((await records.get('k'))?.value).toEqual({ n: 99 });
  });

  it('a deleted key reads as absent and can be created again with revision 0', async () => {
    const { kv, fake } = fakeKv();
    const records = kvVersionedRecords<{ n: number }>(kv, { retryWithinMs: 1_000 });
    await records.compareAndSet('k', { n: 1 }, 0);
    fake.delete('k');
    expect(await records.get('k')).toBeUndefined();
    expect(await records.compareAndSet('k', { n: 2 }, 0)).toBe(3);
  });

  it('gives up with bus_unavailable when NATS stays away', async () => {
    const { kv, faults } = fakeKv();
    const records = kvVersionedRecords<{ n: number }>(kv, { retryWithinMs: 300 });
    faults.push(...Array.from({ length: 50 }, () => 'no-responders' as const));
    await expect(records.compareAndSet('k', { n: 1 }, 0)).rejects.toMatchObject({ code: 'bus_unavailable' });
  });
});
