import { StepError } from 'lily';

/** A terminal failure (bad config, a changed workspace, a broken migration): retrying cannot help. */
export const terminal = (
  reason: string,
  message: string,
  data: Record<string, unknown> = {},
  cause?: unknown,
) => new StepError('blueprint_execution_failed', message, { reason, ...data }, { retryable: false, cause });

/** A failure worth another attempt (a busy database, an I/O hiccup). */
export const transient = (
  reason: string,
  message: string,
  data: Record<string, unknown> = {},
  cause?: unknown,
) => new StepError('blueprint_execution_failed', message, { reason, ...data }, { retryable: true, cause });

/** Parses `with` (or an input) with a zod schema; a mismatch is terminal with the issues as data. */
export const parseOr = <T>(
  schema: {
    safeParse(
      v: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  value: unknown,
  what: string,
): T => {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw terminal('invalid_config', `invalid ${what}`, {
    issues: r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  });
};
