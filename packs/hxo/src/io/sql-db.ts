import { mkdir } from 'node:fs/promises';

/** The little of a SQL connection sql_migrate needs, over PGlite or node-postgres. */
export interface SqlSession {
  /** Runs a script of one or more statements; resolves to the rows they affected in total. */
  exec(sql: string): Promise<number>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** An embedded PGlite database whose data lives in `dir` (created on first use), or in memory without one. */
export const openPglite = async (dir?: string): Promise<SqlSession> => {
  if (dir !== undefined) await mkdir(dir, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const db = dir === undefined ? new PGlite() : new PGlite(dir);
  return {
    // PGlite reports affectedRows cumulatively over the statements of one exec: the last holds the total.
    exec: async (sql) => (await db.exec(sql)).at(-1)?.affectedRows ?? 0,
    query: async <T>(sql: string, params: unknown[] = []) => (await db.query<T>(sql, params)).rows,
    close: () => db.close(),
  };
};

interface PgResult {
  rowCount: number | null;
  rows: unknown[];
}
interface PgClient {
  connect(): Promise<void>;
  query(sql: string, params?: unknown[]): Promise<PgResult | PgResult[]>;
  end(): Promise<void>;
}

/** A PostgreSQL server reached by URL (node-postgres); a multi-statement script sums its row counts. */
export const openPostgres = async (url: string): Promise<SqlSession> => {
  const specifier = 'pg';
  const pg = (await import(specifier)) as { default: { Client: new (o: object) => PgClient } };
  const client = new pg.default.Client({ connectionString: url });
  await client.connect();
  const results = (r: PgResult | PgResult[]) => (Array.isArray(r) ? r : [r]);
  return {
    exec: async (sql) => results(await client.query(sql)).reduce((n, r) => n + (r.rowCount ?? 0), 0),
    query: async <T>(sql: string, params: unknown[] = []) =>
      results(await client.query(sql, params)).flatMap((r) => r.rows as T[]),
    close: () => client.end(),
  };
};
