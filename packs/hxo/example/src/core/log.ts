export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: Level, message: string, fields?: Record<string, unknown>): void;
}

/** One JSON line per entry, to whatever sink the caller gives (stdout in production). */
export const jsonLogger = (write: (line: string) => void, now: () => Date): Logger => ({
  log: (level, message, fields = {}) =>
    write(JSON.stringify({ at: now().toISOString(), level, message, ...fields })),
});
