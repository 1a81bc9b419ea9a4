import { z } from 'zod';
import { LilyError } from '../errors.js';
import { eventJsonObjectSchema as jsonObjectSchema, eventJsonSchema as jsonSchema } from './event-json.js';
import {
  artifactRefSchema,
  dispatchRefSchema,
  errorInfoSchema,
  runEnvelopeSchema,
  stepRefSchema,
} from './shared-schemas.js';

const blueprintRef = z.object({ id: z.string(), version: z.string() });
const principal = z.string().min(1);

/**
 * Why the process of a dispatch ended, as its worker reports it: `exited` (by itself),
 * `step_timeout` (the step's own timeout), `shutdown` (its worker stopped), or the reason of the
 * run's `step.cancel` (`cancelled`, `run_timeout`, `sibling_failed`, `run_finished`).
 */
export const END_REASONS = [
  'exited',
  'step_timeout',
  'shutdown',
  'cancelled',
  'run_timeout',
  'sibling_failed',
  'run_finished',
] as const;
const endReason = z.enum(END_REASONS);
/** Why a run cancels a dispatch (`step.cancel_requested`). */
export const CANCEL_REASONS = ['cancelled', 'run_timeout', 'sibling_failed', 'run_finished'] as const;
/** When and why a dispatch's work ended (set by the worker on its facts; absent in older logs). */
const ended = {
  endedAt: z.number().optional(),
  endReason: endReason.optional(),
};

/**
 * Every event type Lily may append, with the schema of its `data`. Past tense: an event is a
 * fact. Commands a run machine emits are stored as the events that record them
 * (`step.dispatch` -> `step.dispatched`, `timer.schedule` -> `timer.scheduled`, ...).
 * Unknown types and invalid data are refused at append.
 */
export const EVENT_DATA_SCHEMAS = {
  'run.requested': z.object({
    runId: z.string(),
    jobId: z.string(),
    trigger: z
      .object({ kind: z.enum(['manual', 'cron', 'rerun', 'api']), at: z.number().optional() })
      .loose(),
    input: jsonObjectSchema,
    dryRun: z.boolean(),
    principal,
    /**
     * The request's idempotency key (one per invocation of a client, or the caller's own): a
     * repeat of the key for the same job returns this run instead of starting another. The
     * job stream records the request under the event id `request/<key>`, so the log itself
     * dedupes it, across restarts.
     */
    idempotencyKey: z.string().optional(),
    /** sha256 of what the request asked (job, input, dry run, principal, re-run): a key reused for another request is refused. */
    requestHash: z.string().optional(),
  }),
  'run.started': z.object({
    runId: z.string(),
    jobId: z.string(),
    blueprint: blueprintRef,
    bindings: jsonSchema,
    plan: jsonObjectSchema,
    planHash: z.string(),
    input: jsonObjectSchema,
    inputHash: z.string(),
    dryRun: z.boolean(),
    kernelVersion: z.string(),
    env: z.record(z.string(), z.string()),
    principal,
    parent: z
      .object({ runId: z.string(), fromStep: z.string().optional(), gatesOnly: z.boolean() })
      .optional(),
    /**
     * The run machine's semantics version (`MACHINE_VERSION` when the run started); absent in
     * runs started before versions existed (1). Replay folds a run with the semantics it began
     * under: version 2 cancels the dispatches still in flight when a run ends (`step.cancel`);
     * version 3 fails a step whose partitioner failed.
     */
    machine: z.number().int().positive().optional(),
    /** Forks: outputs of steps memoized from the parent run (step id -> recorded result). */
    memo: z
      .record(z.string(), z.object({ output: jsonSchema, artifacts: z.array(artifactRefSchema).default([]) }))
      .optional(),
  }),
  'policy.requested': stepRefSchema.extend({ executor: z.string(), request: jsonObjectSchema }),
  'policy.decided': stepRefSchema.extend({
    decision: z.enum(['allow', 'deny', 'approval_required']),
    reasons: z.array(z.string()),
    rule: z.string().optional(),
    grant: z.string().optional(),
    approvalId: z.string().optional(),
    /** The succeeded dry run (run id) an allow relied on, when a dry run was required. */
    dryRunProof: z.string().optional(),
    /**
     * What the allowed step (no `gateId`) and its gates run: argv[0] as written, the real path
     * it resolved to on the policy's search path, and that file's sha256.
     */
    programs: z
      .array(
        z.object({
          gateId: z.string().optional(),
          program: z.string(),
          path: z.string(),
          sha256: z.string().optional(),
        }),
      )
      .optional(),
    /** For a denial: what to change (the job or the policy) so that the step may run. */
    fix: z.string().optional(),
  }),
  'approval.requested': stepRefSchema.extend({
    approvalId: z.string(),
    reason: z.string(),
    /** Set in the `approval/<id>` stream (by the policy gate), so approvals can be listed and answered. */
    runId: z.string().optional(),
    jobId: z.string().optional(),
  }),
  'approval.granted': stepRefSchema.extend({
    approvalId: z.string(),
    by: principal,
    comment: z.string().optional(),
  }),
  'approval.denied': stepRefSchema.extend({ approvalId: z.string(), by: principal, reason: z.string() }),
  'step.dispatched': dispatchRefSchema.extend({
    executor: z.string(),
    input: jsonSchema,
    shard: z.string().optional(),
    timeoutMs: z.number().int().positive().optional(),
    idempotent: z.boolean(),
    dryRun: z.boolean(),
    grant: z.string().optional(),
    /** The step's static configuration (`with` of the plan step), for executors without the plan. */
    with: jsonObjectSchema.optional(),
  }),
  'step.started': dispatchRefSchema.extend({
    worker: z.string(),
    shard: z.string().optional(),
    /** The machine the worker runs on. */
    host: z.string().optional(),
    /** What the attempt ran against: the worker's environment fingerprint (its workspace's commit, ...). */
    env: z.record(z.string(), z.string()).optional(),
  }),
  'step.succeeded': dispatchRefSchema.extend({
    output: jsonSchema,
    artifacts: z.array(artifactRefSchema).default([]),
    durationMs: z.number().nonnegative(),
    shard: z.string().optional(),
    /** Parts of the output the executor cut at its cap (`stdout`, `stderr`): the rest is lost. */
    truncated: z.array(z.string()).optional(),
    ...ended,
  }),
  'step.failed': dispatchRefSchema.extend({
    error: errorInfoSchema,
    retryable: z.boolean(),
    /**
     * The executor asked for this delay before the next attempt (`RetryableStepError`); the run
     * uses it instead of the plan's backoff. Recorded here so a replay schedules the same retry.
     */
    retryAfterMs: z.number().int().nonnegative().optional(),
    durationMs: z.number().nonnegative().optional(),
    shard: z.string().optional(),
    truncated: z.array(z.string()).optional(),
    ...ended,
  }),
  'step.timed_out': dispatchRefSchema.extend({ timeoutMs: z.number().int().nonnegative() }),
  'step.retry_scheduled': stepRefSchema.extend({
    nextAttempt: z.number().int().positive(),
    delayMs: z.number(),
    shard: z.string().optional(),
  }),
  'step.indeterminate': dispatchRefSchema.extend({
    reason: z.string(),
    shard: z.string().optional(),
    ...ended,
  }),
  /**
   * The run no longer wants a dispatch (it was cancelled, timed out, or a sibling failed): the
   * worker running it stops its process. Records the machine's `step.cancel` command.
   */
  'step.cancel_requested': dispatchRefSchema.extend({
    executor: z.string(),
    reason: z.enum(CANCEL_REASONS),
    shard: z.string().optional(),
    gateId: z.string().optional(),
  }),
  /**
   * A worker stopped a dispatch the run cancelled before it did its work, or while it did
   * idempotent work (a non-idempotent one killed mid-way is `step.indeterminate`).
   * `started: false` when it was still queued. Appended after the run's end, like every answer
   * to a cancelled dispatch.
   */
  'step.cancelled': dispatchRefSchema.extend({
    shard: z.string().optional(),
    gateId: z.string().optional(),
    started: z.boolean(),
    durationMs: z.number().nonnegative().optional(),
    error: errorInfoSchema.optional(),
    endedAt: z.number(),
    endReason,
  }),
  'step.skipped': z.object({ stepId: z.string(), reason: z.string() }),
  /** A partition step asks its partitioner for shards (answered by `partition.planned`). */
  'partition.requested': stepRefSchema.extend({
    partitioner: z.string(),
    with: jsonObjectSchema,
    input: jsonSchema,
  }),
  'partition.planned': stepRefSchema.extend({
    partitioner: z.string(),
    shards: z.array(z.object({ key: z.string(), input: jsonSchema })),
  }),
  'gate.dispatched': dispatchRefSchema.extend({
    gateId: z.string(),
    executor: z.string(),
    input: jsonSchema,
  }),
  /**
   * A gate the run did not run: a dry run skips every gate with side effects (`reason:
   * dry_run`), so a dry run executes none. Recorded by the run machine, never dispatched.
   */
  'gate.skipped': dispatchRefSchema.extend({
    gateId: z.string(),
    executor: z.string(),
    reason: z.enum(['dry_run']),
  }),
  'gate.passed': dispatchRefSchema.extend({ gateId: z.string(), output: jsonSchema.optional() }),
  'gate.failed': dispatchRefSchema.extend({
    gateId: z.string(),
    required: z.boolean(),
    error: errorInfoSchema,
  }),
  'artifact.recorded': z.object({ ref: artifactRefSchema }),
  'timer.scheduled': z.object({
    timerId: z.string(),
    fireAt: z.number(),
    purpose: z.enum(['retry', 'step_timeout', 'run_timeout', 'cron']),
    stepId: z.string().optional(),
    attempt: z.number().int().positive().optional(),
  }),
  'timer.cancelled': z.object({ timerId: z.string() }),
  'timer.fired': z.object({ timerId: z.string(), firedAt: z.number() }),
  'run.cancel_requested': z.object({ by: principal, reason: z.string().optional() }),
  'run.forked': z.object({
    parentRunId: z.string(),
    fromStep: z.string().optional(),
    gatesOnly: z.boolean(),
    memoized: z.array(z.string()),
  }),
  'run.completed': z.object({
    status: z.enum(['succeeded', 'failed', 'cancelled']),
    envelope: runEnvelopeSchema,
    error: errorInfoSchema.optional(),
  }),
  'schedule.ticked': z.object({
    jobId: z.string(),
    scheduledAt: z.number(),
    decision: z.enum(['run', 'skip', 'queue']),
    reason: z.string().optional(),
    runId: z.string().optional(),
  }),
  'system.started': z.object({ process: z.string(), pid: z.number().int(), version: z.string() }),
  'message.rejected': z.object({
    subject: z.string(),
    reason: z.string(),
    issues: z.array(z.string()).default([]),
  }),
} as const;

/** Every event type of the catalog (`run.requested`, `step.succeeded`, ...): docs/events.md. */
export type EventType = keyof typeof EVENT_DATA_SCHEMAS;
/**
 * The `data` of an event of type T, as its schema parses it.
 *
 * @example
 * if (e.type === 'step.failed') { const d = e.data as EventData<'step.failed'>; console.log(d.stepId, d.error.code); }
 */
export type EventData<T extends EventType> = z.output<(typeof EVENT_DATA_SCHEMAS)[T]>;
/**
 * Every event type Lily may append, in catalog order.
 *
 * @example
 * EVENT_TYPES.includes('run.completed'); // true
 */
export const EVENT_TYPES = Object.keys(EVENT_DATA_SCHEMAS) as EventType[];

/**
 * True for a type of the event catalog. Never throws.
 *
 * @example
 * isEventType('step.succeeded'); // true
 */
export const isEventType = (t: unknown): t is EventType =>
  typeof t === 'string' && Object.hasOwn(EVENT_DATA_SCHEMAS, t);

/**
 * The data objects `validateEventData` returned, with the type each was validated as. Only this
 * module adds to it, and only the schema's own output (a fresh object), so a caller cannot make
 * data look validated: it can only hand back what validation produced.
 */
const validated = new WeakMap<object, EventType>();

/**
 * Validates an event's data against its type; throws `event_type_unknown` / `event_data_invalid`.
 * Returns the schema's output (defaults filled in): a new object, which `isValidatedEventData`
 * then recognizes, so a later stage (the store's append) need not parse it again. Do not
 * mutate the returned data.
 */
export const validateEventData = <T extends EventType>(type: string, data: unknown): EventData<T> => {
  if (!isEventType(type)) {
    throw new LilyError('event_type_unknown', `unknown event type ${JSON.stringify(type)}`, { type });
  }
  const result = EVENT_DATA_SCHEMAS[type].safeParse(data);
  if (!result.success) {
    throw new LilyError('event_data_invalid', `invalid data for ${type}`, {
      type,
      issues: result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  }
  if (typeof result.data === 'object' && result.data !== null && result.data !== data) {
    validated.set(result.data, type);
  }
  return result.data as EventData<T>;
};

/** True when `data` is an object `validateEventData` returned for exactly this `type`. */
export const isValidatedEventData = (type: string, data: unknown): boolean =>
  typeof data === 'object' && data !== null && validated.get(data) === type;
