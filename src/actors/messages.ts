import { z } from 'zod';
import { CANCEL_REASONS, EVENT_DATA_SCHEMAS } from '../contracts/events/catalog.js';
import { isRunId, type RunId } from '../contracts/ids.js';
import { jsonObjectSchema, jsonSchema } from '../contracts/json.js';

/**
 * Messages on the bus. Every actor validates what it receives with these schemas (typed
 * subscriptions); anything else is logged as `message.rejected` and dropped. Payloads carry
 * arrays so one message can batch several items (dispatches, replies).
 */

/**
 * A run id, parsed where a message is decoded: past the bus, actors see only `RunId`. A message
 * whose run id is not one is rejected like any other invalid message (`message.rejected`).
 */
export const runIdSchema = z.custom<RunId>(isRunId, { message: 'not a run id (a 26-character ULID)' });

/** A fact for a run host: the event to append to `run/<runId>` (the host checks `data` against the catalog). */
export const inboundEventSchema = z.object({
  /** Deterministic per fact (`<dispatchId>/succeeded`, `timer/<id>/fired`): a re-sent reply dedupes. */
  id: z.string().min(1).max(300),
  type: z.string().min(1).max(100),
  at: z.number(),
  data: z.unknown(),
  producer: z.string().min(1).max(200),
});
export type InboundEvent = z.infer<typeof inboundEventSchema>;

/** `lily.<ns>.in.<runId>`: facts about one run. */
export const inboxMessageSchema = z.object({
  runId: runIdSchema,
  events: z.array(inboundEventSchema).min(1).max(10_000),
});
export type InboxMessage = z.infer<typeof inboxMessageSchema>;

/**
 * The W3C trace context of a dispatch (`00-<trace id>-<span id>-<flags>`): the engine's span of
 * this dispatch, which the worker's span joins as a child. Optional: only when tracing is on;
 * workers that predate it ignore it. A worker ignores a value that does not parse (the dispatch
 * runs untraced); over 512 characters the message is invalid.
 */
const traceparentSchema = z.string().max(512).optional();

/** What an executor is asked to do: run a step (or shard), run a gate, or partition a step. */
export const execItemSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('step'),
    runId: runIdSchema,
    jobId: z.string(),
    data: EVENT_DATA_SCHEMAS['step.dispatched'],
    traceparent: traceparentSchema,
  }),
  z.object({
    kind: z.literal('gate'),
    runId: runIdSchema,
    jobId: z.string(),
    data: EVENT_DATA_SCHEMAS['gate.dispatched'],
    grant: z.string().optional(),
    traceparent: traceparentSchema,
  }),
  z.object({
    kind: z.literal('partition'),
    runId: runIdSchema,
    jobId: z.string(),
    data: EVENT_DATA_SCHEMAS['partition.requested'],
    traceparent: traceparentSchema,
  }),
]);
export type ExecItem = z.infer<typeof execItemSchema>;
/** `lily.<ns>.cmd.exec.<executor>`. */
export const execMessageSchema = z.object({ items: z.array(execItemSchema).min(1).max(10_000) });

/** One dispatch a run no longer wants, and why (the run's `step.cancel`). */
export const cancelItemSchema = z.object({
  runId: runIdSchema,
  dispatchId: z.string().min(1).max(300),
  reason: z.enum(CANCEL_REASONS),
});
export type CancelItem = z.infer<typeof cancelItemSchema>;
/** `lily.<ns>.cmd.cancel.<executor>`: heard by every worker of the executor. */
export const cancelMessageSchema = z.object({ items: z.array(cancelItemSchema).min(1).max(10_000) });

/** `lily.<ns>.cmd.policy`: a policy check or an approval request of one run. */
export const policyMessageSchema = z.object({
  runId: runIdSchema,
  jobId: z.string(),
  principal: z.string(),
  dryRun: z.boolean(),
  planHash: z.string(),
  inputHash: z.string(),
  command: z.discriminatedUnion('type', [
    z.object({ type: z.literal('policy.check'), data: EVENT_DATA_SCHEMAS['policy.requested'] }),
    z.object({ type: z.literal('approval.request'), data: EVENT_DATA_SCHEMAS['approval.requested'] }),
  ]),
});
export type PolicyMessage = z.infer<typeof policyMessageSchema>;

/** `lily.<ns>.cmd.sched`: timers of runs, and run requests (which are answered). */
export const schedMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('timer.schedule'),
    runId: runIdSchema,
    data: EVENT_DATA_SCHEMAS['timer.scheduled'],
  }),
  z.object({
    type: z.literal('timer.cancel'),
    runId: runIdSchema,
    data: EVENT_DATA_SCHEMAS['timer.cancelled'],
  }),
  z.object({
    type: z.literal('run.request'),
    jobId: z.string(),
    input: jsonObjectSchema.optional(),
    dryRun: z.boolean().optional(),
    principal: z.string().optional(),
    /**
     * Makes the request idempotent: a repeat of the key for the same job (a retry after a lost
     * reply, an engine restart) answers with the run the first one started. 1-200 characters.
     */
    idempotencyKey: z.string().min(1).max(200).optional(),
    /** Re-run of an earlier run (fork). */
    rerun: z
      .object({
        parentRunId: z.string(),
        fromStep: z.string().optional(),
        gatesOnly: z.boolean().default(false),
      })
      .optional(),
  }),
  z.object({
    type: z.literal('run.cancel'),
    /** Any string: the scheduler answers `run_not_found` for one that names no run. */
    runId: z.string(),
    by: z.string(),
    reason: z.string().optional(),
  }),
]);
export type SchedMessage = z.infer<typeof schedMessageSchema>;

/** The reply to `run.request`: the run id, or the error that refused it. */
export const runRequestReplySchema = z.union([
  z.object({
    ok: z.literal(true),
    runId: z.string(),
    jobId: z.string(),
    /** True when an earlier request with the same idempotency key started this run. */
    existing: z.boolean().optional(),
    /** What the requester should know and may change (a deprecated job kind). */
    warnings: z.array(z.string()).optional(),
  }),
  z.object({
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string(), data: z.record(z.string(), z.unknown()) }),
  }),
]);
export type RunRequestReply = z.infer<typeof runRequestReplySchema>;

/** `lily.<ns>.sys.ping` reply. */
export const pingReplySchema = z.object({
  actor: z.string(),
  role: z.enum(['engine', 'worker']),
  pid: z.number(),
  startedAt: z.number(),
  version: z.string(),
  inFlight: z.number(),
  executors: z.array(z.string()).default([]),
  details: jsonSchema.optional(),
});
export type PingReply = z.infer<typeof pingReplySchema>;
