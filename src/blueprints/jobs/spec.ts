import { z } from 'zod';
import { jsonSchema } from '../../contracts/json.js';

/** Job ids name files (`<id>.job.yaml`): the same rule as `parseJobId` in src/contracts/ids.ts. */
export const jobIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
    'letters, digits, ".", "_" or "-", starting with a letter or digit, at most 128 characters',
  );

const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

/**
 * The cron expression is only shape-checked here (blueprints is pure and may not import
 * croner); `src/project/cron-check.ts` checks it with croner when jobs are loaded
 * from a project, and reports problems at the same path and line.
 */
const cronExpression = z
  .string()
  .trim()
  .min(1, 'a cron expression such as "*/5 * * * *" or "@daily"')
  .refine((s) => s.startsWith('@') || /^\S+(\s+\S+){4,6}$/.test(s), {
    message:
      'a cron expression has 5 to 7 fields ("min hour day month weekday") or is a nickname like "@daily"',
  });

const catchupSchema = z.strictObject({
  /** Missed ticks older than this (ms before now) are skipped. 0: no catch-up. */
  window_ms: z.number().int().nonnegative().default(0),
  /** At most this many missed ticks (the most recent) are run after downtime. */
  max_runs: z.number().int().nonnegative().max(1000).default(1),
});

const manualTriggerSchema = z.strictObject({ manual: z.literal(true) });
const cronTriggerSchema = z.strictObject({
  cron: cronExpression,
  timezone: z.string().refine(isTimeZone, 'an IANA time zone such as "UTC" or "Europe/Paris"').default('UTC'),
  /** What a tick does while an earlier run of the job is still active. */
  overlap: z.enum(['skip', 'queue', 'allow']).default('skip'),
  catchup: catchupSchema.prefault({}),
});

export type CronTrigger = z.output<typeof cronTriggerSchema>;
export type ManualTrigger = z.output<typeof manualTriggerSchema>;

/**
 * `{manual: true}` or `{cron, timezone, overlap, catchup}`. Chosen by the key present, so a
 * mistake gets a precise path instead of a union error.
 */
const triggerSchema = z.unknown().transform((value, ctx): ManualTrigger | CronTrigger => {
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject) {
    ctx.addIssue({
      code: 'custom',
      message: 'an object: {manual: true} or {cron: "<expr>", timezone, overlap, catchup}',
    });
    return z.NEVER;
  }
  const parsed = 'cron' in value ? cronTriggerSchema.safeParse(value) : manualTriggerSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, input: undefined });
  return z.NEVER;
});

const runtimeSchema = z.strictObject({
  /** Run timeout (ms): caps the plan's run timeout. */
  timeout_ms: z.number().int().positive().optional(),
  /** Caps every step's `retry.maxAttempts`. */
  max_attempts: z.number().int().min(1).max(100).optional(),
  /** How many runs of this job may be active at once (scheduler). */
  concurrency: z.number().int().min(1).max(1024).default(1),
  /** Runs of this job are dry runs unless the operator says otherwise. */
  dry_run: z.boolean().default(false),
});

const outputSchema = z.strictObject({
  /**
   * Refused: receipts are projections of the log, always under `.lily/runs/<job id>/` (where
   * retention, `lily runs receipt --rebuild` and the projector find them). The key is known so
   * that a spec carrying it gets this reason rather than "unrecognized key".
   */
  dir: z
    .unknown()
    .optional()
    .refine((v) => v === undefined, {
      message:
        'output.dir is not supported: receipts are always written to .lily/runs/<job id>/ (they are projections of the log); remove it, and copy receipts from there if you need them elsewhere',
    }),
  retention: z
    .strictObject({
      keep_last: z.number().int().min(1).optional(),
      max_age_days: z.number().positive().optional(),
    })
    .prefault({}),
});

/**
 * A job spec (`.lily/jobs/<id>.job.yaml`), design.md §6. Keys are snake_case as written in
 * YAML; unknown keys are refused at every level.
 */
export const jobSpecSchema = z.strictObject({
  id: jobIdSchema,
  title: z.string().trim().min(1),
  description: z.string().optional(),
  target: z.strictObject({
    kind: z.literal('blueprint'),
    id: z.string().min(1),
    version: z.string().min(1).optional(),
  }),
  bindings: z.record(z.string(), jsonSchema).default({}),
  trigger: triggerSchema.default({ manual: true }),
  runtime: runtimeSchema.prefault({}),
  /** The default run input (a run request may override it). */
  input: jsonSchema.default({}),
  output: outputSchema.prefault({}),
});

export type JobSpec = z.output<typeof jobSpecSchema>;
export type JobSpecInput = z.input<typeof jobSpecSchema>;
export type JobTrigger = JobSpec['trigger'];
export type JobRuntime = JobSpec['runtime'];

export const isCronTrigger = (t: JobTrigger): t is CronTrigger => 'cron' in t;
