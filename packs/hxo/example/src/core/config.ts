export interface Config {
  port: number;
  databaseUrl: string;
  pageSize: number;
}

/** Reads the service settings from an environment map, with defaults for local use. */
export const loadConfig = (env: Record<string, string | undefined>): Config => ({
  port: Number(env.NOTES_PORT ?? 8080),
  databaseUrl: env.NOTES_DATABASE_URL ?? 'postgres://localhost:5432/notes',
  pageSize: Math.min(Number(env.NOTES_PAGE_SIZE ?? 20), 100),
});
