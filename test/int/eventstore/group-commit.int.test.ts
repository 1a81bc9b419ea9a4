import { join } from 'node:path';
import type { RootDatabase } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { LilyError } from '../../../src/contracts/errors.js';
import { beforeThisCommit, durableWrite } from '../../../src/eventstore/group-commit.js';
import { closeLilyLmdb, openLilyLmdb, openNamedDb } from '../../../src/eventstore/lmdb-env.js';
import { tempDir } from '../../helpers/eventstore.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const openEnv = (): RootDatabase => {
  const { dir, cleanup } = tempDir('group-commit');
  const root = openLilyLmdb(join(dir, 'db'));
  cleanups.push(cleanup, () => root.close());
  return root;
};

describe('durableWrite: the group commit', () => {
  it('commits the writes of one event turn in one transaction, in the order they were queued', async () => {
    const root = openEnv();
    const db = openNamedDb<number, string>(root, 'counters');
    const txnIds: number[] = [];
    const bump = (key: string) => () => {
      txnIds.push(root.getWriteTxnId());
      const next = (db.get(key) ?? 0) + 1;
      db.put(key, next);
      return next;
    };
    const results = await Promise.all([
      durableWrite(root, 'a', bump('k')),
      durableWrite(root, 'b', bump('k')),
      durableWrite(root, 'c', bump('other')),
    ]);
    expect(results).toEqual([1, 2, 1]);
    expect(new Set(txnIds).size).toBe(1);
    await durableWrite(root, 'd', bump('k'));
    expect(txnIds[3]).toBeGreaterThan(txnIds[0] as number);
    expect(db.get('k')).toBe(3);
  });

  it('a write that throws rolls back alone and rejects with eventstore_unavailable; the others commit', async () => {
    const root = openEnv();
    const db = openNamedDb<string, string>(root, 'values');
    const [ok, failed, after] = await Promise.allSettled([
      durableWrite(root, 'first', () => db.put('a', 'kept')),
      durableWrite(root, 'broken', () => {
        db.put('b', 'rolled back');
        throw new Error('refused halfway');
      }),
      durableWrite(root, 'third', () => db.put('c', 'kept')),
    ]);
    expect(ok.status).toBe('fulfilled');
    expect(after.status).toBe('fulfilled');
    expect(failed.status).toBe('rejected');
    const error = (failed as PromiseRejectedResult).reason as LilyError;
    expect(error).toBeInstanceOf(LilyError);
    expect(error.code).toBe('eventstore_unavailable');
    expect(error.message).toBe('broken failed: refused halfway');
    expect([db.get('a'), db.get('b'), db.get('c')]).toEqual(['kept', undefined, 'kept']);
  });

  it('onWritten sees the result inside the transaction; a throw from it changes nothing', async () => {
    const root = openEnv();
    const db = openNamedDb<string, string>(root, 'values');
    const seen: unknown[] = [];
    const value = await durableWrite(
      root,
      'hooked',
      () => {
        db.put('k', 'v');
        return 'written';
      },
      (result) => {
        seen.push(result, db.get('k'));
        throw new Error('hook failed');
      },
    );
    expect(value).toBe('written');
    expect(seen).toEqual(['written', 'v']);
    expect(db.get('k')).toBe('v');
  });

  it('runs each hook named with beforeThisCommit once, after every write of the commit and inside it', async () => {
    const root = openEnv();
    const db = openNamedDb<string, string>(root, 'values');
    const trace: string[] = [];
    const txnIds: number[] = [];
    const send = () => {
      trace.push('send');
      txnIds.push(root.getWriteTxnId());
    };
    const broken = () => {
      trace.push('broken');
      throw new Error('hook failed');
    };
    const write = (key: string, hooks: (() => void)[]) =>
      durableWrite(
        root,
        key,
        () => {
          txnIds.push(root.getWriteTxnId());
          db.put(key, 'v');
        },
        () => {
          trace.push(`written ${key}`);
          for (const hook of hooks) beforeThisCommit(hook);
        },
      );
    // The throwing hook runs first: the one after it still runs.
    await Promise.all([write('a', [broken]), write('b', [send, broken]), write('c', [])]);
    expect(trace).toEqual(['written a', 'written b', 'written c', 'broken', 'send']);
    // Inside the transaction of the writes: before their commit.
    expect(new Set(txnIds).size).toBe(1);
    expect([db.get('a'), db.get('b'), db.get('c')]).toEqual(['v', 'v', 'v']);
    // The next commit runs only the hooks its own writes name.
    await write('d', []);
    expect(trace).toHaveLength(6);
    expect(() => beforeThisCommit(send)).toThrow(/outside a group commit/);
  });

  it('rejects every queued write with eventstore_unavailable once the environment is closed', async () => {
    const { dir, cleanup } = tempDir('group-commit-closed');
    cleanups.push(cleanup);
    const root = openLilyLmdb(join(dir, 'db'));
    const db = openNamedDb<string, string>(root, 'values');
    await root.close();
    const settled = await Promise.allSettled([
      durableWrite(root, 'x', () => db.put('a', '1')),
      durableWrite(root, 'y', () => db.put('b', '2')),
    ]);
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      expect(((s as PromiseRejectedResult).reason as LilyError).code).toBe('eventstore_unavailable');
    }
  });

  it('closeLilyLmdb commits the writes still queued before it closes', async () => {
    const { dir, cleanup } = tempDir('group-commit-drain');
    cleanups.push(cleanup);
    const root = openLilyLmdb(join(dir, 'db'));
    const db = openNamedDb<string, string>(root, 'values');
    const queued = durableWrite(root, 'late', () => db.put('k', 'kept'));
    await closeLilyLmdb(root);
    await expect(queued).resolves.toBe(true);
    const again = openLilyLmdb(join(dir, 'db'));
    cleanups.push(() => again.close());
    expect(openNamedDb<string, string>(again, 'values').get('k')).toBe('kept');
  });
});
