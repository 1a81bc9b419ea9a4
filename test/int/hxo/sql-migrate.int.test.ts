import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { openPglite, openPostgres, type SqlSession } from '../../../packs/hxo/src/io/sql-db.js';
import { isLilyError } from '../../../src/contracts/errors.js';
import { context, copyFixture, executorOf, hxoCatalog, partitionerOf, runStage } from './harness.js';

let ws: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  ws = await copyFixture();
});
afterAll(() => ws.cleanup());

const tables = async (db: SqlSession) =>
  (
    await db.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name',
    )
  ).map((r) => r.table_name);

const withDb = async <T>(dir: string, fn: (db: SqlSession) => Promise<T>): Promise<T> => {
  const db = await openPglite(join(ws.dir, dir));
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
};

describe('sql_migrate on embedded PGlite', () => {
  const bindings = { roots: ['migrations'], batch_size: 2, pglite_dir: 'db' };

  it('dry run leaves the database unchanged; apply changes it; a second apply is a no-op', async () => {
    const dry = await runStage(ws.dir, 'hxo.deploy-migrate.v1', bindings, { dryRun: true });
    // Batch 1 (orders + backfill) sees batch 0's tables because the dry run replays earlier batches first.
    expect(dry.outputs.map((o) => [o.batch_id, o.rows_affected, o.already_applied, o.dry_run])).toEqual([
      [0, 3, false, true],
      [1, 6, false, true],
    ]);
    expect(existsSync(join(ws.dir, 'db'))).toBe(false);

    const apply = await runStage(ws.dir, 'hxo.deploy-migrate.v1', bindings);
    expect(apply.outputs.map((o) => [o.batch_id, o.rows_affected, o.already_applied])).toEqual([
      [0, 3, false],
      [1, 6, false],
    ]);
    await withDb('db', async (db) => {
      expect(await tables(db)).toEqual(['lily_migrations', 'orders', 'users']);
      expect(await db.query('SELECT sum(total_cents)::int AS total FROM orders')).toEqual([{ total: 3750 }]);
      const recorded = await db.query<{ file: string; batch_id: number }>(
        'SELECT file, batch_id FROM lily_migrations ORDER BY file',
      );
      expect(recorded.map((r) => [r.file, r.batch_id])).toEqual([
        ['migrations/001_users.sql', 0],
        ['migrations/002_seed_users.sql', 0],
        ['migrations/003_orders.sql', 1],
        ['migrations/004_backfill.sql', 1],
      ]);
    });

    const dryAgain = await runStage(ws.dir, 'hxo.deploy-migrate.v1', bindings, { dryRun: true });
    expect(dryAgain.outputs.map((o) => o.already_applied)).toEqual([true, true]);
    const again = await runStage(ws.dir, 'hxo.deploy-migrate.v1', bindings);
    expect(again.outputs.map((o) => [o.rows_affected, o.already_applied])).toEqual([
      [0, true],
      [0, true],
    ]);
    await withDb('db', async (db) => {
      expect(await db.query('SELECT sum(total_cents)::int AS total FROM orders')).toEqual([{ total: 3750 }]);
    });
  }, 120_000);

  it('refuses a migration edited after it was applied, and a batch whose predecessors are not applied', async () => {
    const c = hxoCatalog();
    const w = { roots: ['migrations'], batch_size: 1, stage_kind: 'deploy.migrate' };
    const shards = await partitionerOf(c, 'by_sql_batch')(context(ws.dir, { with: w }));
    const exec = (input: unknown, dir: string) =>
      executorOf(
        c,
        'sql_migrate',
      )(
        context(ws.dir, {
          with: { ...w, partitioner: 'by_sql_batch', pglite_dir: dir },
          input: input as null,
        }),
      ).catch((e) => e);
    const outOfOrder = await exec(shards[2]?.input, 'db2');
    expect(isLilyError(outOfOrder) && outOfOrder.data).toMatchObject({
      reason: 'out_of_order',
      pending: ['migrations/001_users.sql', 'migrations/002_seed_users.sql'],
    });
    expect(await withDb('db2', tables)).toEqual([]);
    // A dry run against the existing database replays batches 0-1 first, then rolls everything back.
    const dry = await executorOf(
      c,
      'sql_migrate',
    )(
      context(ws.dir, {
        with: { ...w, partitioner: 'by_sql_batch', pglite_dir: 'db2' },
        input: shards[2]?.input ?? null,
        dryRun: true,
      }),
    );
    expect(dry.output).toMatchObject({
      batch_id: 2,
      rows_affected: 3,
      already_applied: false,
      dry_run: true,
    });
    expect(await withDb('db2', tables)).toEqual([]);

    const first = join(ws.dir, 'migrations', '001_users.sql');
    const original = await readFile(first);
    await writeFile(first, 'CREATE TABLE users (id serial PRIMARY KEY, name text);\n');
    try {
      const [changed] = await partitionerOf(c, 'by_sql_batch')(context(ws.dir, { with: w }));
      const refused = await exec(changed?.input, 'db');
      expect(isLilyError(refused) && refused.data).toMatchObject({
        reason: 'migration_changed',
        file: 'migrations/001_users.sql',
      });
    } finally {
      await writeFile(first, original);
    }
  }, 120_000);

  it('a failing statement rolls the whole batch back and is terminal', async () => {
    const c = hxoCatalog();
    const broken = join(ws.dir, 'migrations', '005_broken.sql');
    await writeFile(broken, 'CREATE TABLE ok_table (id int);\nSELECT * FROM missing_table;\n');
    onTestFinished(() => rm(broken));
    const w = { roots: ['migrations'], batch_size: 10, stage_kind: 'deploy.migrate' };
    const [shard] = await partitionerOf(c, 'by_sql_batch')(context(ws.dir, { with: w }));
    const e = await executorOf(
      c,
      'sql_migrate',
    )(
      context(ws.dir, {
        with: { ...w, partitioner: 'by_sql_batch', pglite_dir: 'db3' },
        input: shard?.input ?? null,
      }),
    ).catch((x) => x);
    expect(isLilyError(e) && e.data).toMatchObject({
      reason: 'sql_failed',
      file: 'migrations/005_broken.sql',
      sqlstate: '42P01',
    });
    expect((e as { retryable: boolean }).retryable).toBe(false);
    expect(await withDb('db3', tables)).toEqual([]);
  }, 120_000);
});

/** Optional: the machine may run PostgreSQL on 127.0.0.1:5432 (trust auth, db `test`). */
const PG_URL = process.env.LILY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const pgReachable = await openPostgres(PG_URL).then(
  async (db) => {
    await db.close();
    return true;
  },
  () => false,
);

describe.skipIf(!pgReachable)('sql_migrate on PostgreSQL', () => {
  it('dry run rolls back, apply commits, second apply is a no-op', async () => {
    const schema = `hxo_${process.pid}`;
    const admin = await openPostgres(PG_URL);
    await admin.exec(`CREATE SCHEMA ${schema}`);
    const url = `${PG_URL}?options=-c%20search_path%3D${schema}`;
    try {
      const local = await copyFixture();
      try {
        const bindings = { roots: ['migrations'], batch_size: 2, database_url: url };
        await runStage(local.dir, 'hxo.deploy-migrate.v1', bindings, { dryRun: true });
        const count = async () =>
          (
            await admin.query<{ n: number }>(
              'SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1',
              [schema],
            )
          )[0]?.n;
        expect(await count()).toBe(0);
        const apply = await runStage(local.dir, 'hxo.deploy-migrate.v1', bindings);
        expect(apply.outputs.map((o) => o.rows_affected)).toEqual([3, 6]);
        expect(await count()).toBe(3);
        const again = await runStage(local.dir, 'hxo.deploy-migrate.v1', bindings);
        expect(again.outputs.map((o) => o.already_applied)).toEqual([true, true]);
      } finally {
        await local.cleanup();
      }
    } finally {
      await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    }
  }, 60_000);
});
