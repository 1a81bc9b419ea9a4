import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type ExecutionContext, type ExecutorFn, sha256Hex } from 'lily';
import { z } from 'zod';
import type { ListedFile } from '../model/plan-types.js';
import { executorBaseSchema } from '../model/schemas.js';
import { withFileLock } from './file-lock.js';
import { resolveShard } from './shards.js';
import { openPglite, openPostgres, type SqlSession } from './sql-db.js';
import { parseOr, terminal, transient } from './step-errors.js';

export const migrateWithSchema = executorBaseSchema.extend({
  database_url: z
    .string()
    .regex(/^postgres(ql)?:\/\//)
    .optional(),
  pglite_dir: z.string().min(1).default('.lily/hxo/pglite'),
});

const TABLE = `CREATE TABLE IF NOT EXISTS lily_migrations (
  file text PRIMARY KEY,
  sha256 text NOT NULL,
  batch_id integer NOT NULL,
  batch_sha256 text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

interface Migration {
  path: string;
  sql: string;
  sha256: string;
}

const load = async (ctx: ExecutionContext, files: readonly ListedFile[]): Promise<Migration[]> =>
  Promise.all(
    files.map(async (f) => {
      const bytes = await readFile(ctx.resolvePath(f.path));
      return { path: f.path, sql: bytes.toString('utf8'), sha256: sha256Hex(bytes) };
    }),
  );

const sqlError = (m: Migration, e: unknown) => {
  const err = e as { message?: string; code?: string };
  return terminal(
    'sql_failed',
    `${m.path}: ${err.message ?? String(e)}`,
    { file: m.path, sqlstate: err.code },
    e,
  );
};

interface BatchRun {
  batchId: number;
  batch: Migration[];
  /** Migrations ordered before the batch. */
  before: Migration[];
  dryRun: boolean;
}

/**
 * Inside one transaction: refuses a recorded file whose SQL changed, skips recorded files,
 * and runs the rest. A dry run first replays the unapplied migrations before the batch (so a
 * batch sees the tables it builds on), then rolls everything back; an apply refuses to run
 * while an earlier migration is unapplied, and records every file it ran.
 */
const runBatch = async (db: SqlSession, run: BatchRun) => {
  await db.exec('BEGIN');
  try {
    await db.exec(TABLE);
    if (!run.dryRun) await db.exec('LOCK TABLE lily_migrations IN EXCLUSIVE MODE');
    const rows = await db.query<{ file: string; sha256: string }>('SELECT file, sha256 FROM lily_migrations');
    const recorded = new Map(rows.map((r) => [r.file, r.sha256]));
    for (const m of [...run.before, ...run.batch]) {
      const sha = recorded.get(m.path);
      if (sha !== undefined && sha !== m.sha256)
        throw terminal('migration_changed', `${m.path} changed after it was applied`, {
          file: m.path,
          recorded: sha,
          now: m.sha256,
        });
    }
    const pendingBefore = run.before.filter((m) => !recorded.has(m.path));
    if (!run.dryRun && pendingBefore.length > 0)
      throw terminal(
        'out_of_order',
        `earlier migrations are not applied yet: ${pendingBefore.map((m) => m.path).join(', ')}`,
        {
          pending: pendingBefore.map((m) => m.path),
        },
      );
    for (const m of pendingBefore) await db.exec(m.sql).catch((e) => Promise.reject(sqlError(m, e)));
    const pending = run.batch.filter((m) => !recorded.has(m.path));
    const batchSha = sha256Hex(run.batch.map((m) => `${m.path}\n${m.sha256}`).join('\n'));
    let rows_affected = 0;
    for (const m of pending) {
      rows_affected += await db.exec(m.sql).catch((e) => Promise.reject(sqlError(m, e)));
      await db.query(
        'INSERT INTO lily_migrations (file, sha256, batch_id, batch_sha256) VALUES ($1, $2, $3, $4)',
        [m.path, m.sha256, run.batchId, batchSha],
      );
    }
    await db.exec(run.dryRun ? 'ROLLBACK' : 'COMMIT');
    return { rows_affected, already_applied: pending.length === 0 };
  } catch (e) {
    await db.exec('ROLLBACK').catch(() => undefined);
    throw e;
  }
};

/** A dry run against a PGlite directory that does not exist yet uses an empty in-memory database: the same answer, nothing created. */
const connect = async (w: z.output<typeof migrateWithSchema>, pgliteDir: string | undefined) => {
  try {
    return await (w.database_url ? openPostgres(w.database_url) : openPglite(pgliteDir));
  } catch (e) {
    throw transient('database_unavailable', `cannot open the database: ${(e as Error).message}`, {}, e);
  }
};

/**
 * `sql_migrate`: applies one batch of SQL migrations to PGlite (default, under `pglite_dir`)
 * or PostgreSQL (`database_url`). Dry run: executes inside a transaction and rolls back. Apply:
 * commits and records each file in `lily_migrations` (file, sha256, batch id, batch sha256);
 * a batch already recorded is a no-op (`already_applied: true`), never a second migration.
 */
export const sqlMigrate: ExecutorFn = async (ctx) => {
  const w = parseOr(migrateWithSchema, ctx.request.with, 'with for sql_migrate');
  const { shard, files, plan } = await resolveShard(ctx);
  const offset = Number(shard.input.offset);
  const before = plan.shards.flatMap((s) => (Number(s.input.offset) < offset ? s.members : []));
  const byPath = new Map(plan.files.map((f) => [f.path, f]));
  const run = {
    batchId: Number(shard.input.batch_id),
    batch: await load(ctx, files),
    before: await load(
      ctx,
      before.map((p) => byPath.get(p) as ListedFile),
    ),
    dryRun: ctx.request.dryRun,
  };
  const dir = ctx.resolvePath(w.pglite_dir);
  const pgliteDir = run.dryRun && !existsSync(dir) ? undefined : dir;
  const migrate = async () => {
    const db = await connect(w, pgliteDir);
    try {
      return await runBatch(db, run);
    } finally {
      await db.close();
    }
  };
  const result =
    w.database_url || pgliteDir === undefined
      ? await migrate()
      : await withFileLock(`${pgliteDir}.lock`, ctx.signal, migrate);
  return {
    output: {
      status: 'migrated',
      batch_id: run.batchId,
      ...result,
      files: files.map((f) => f.path),
      dry_run: run.dryRun,
    },
    artifacts: [],
  };
};
