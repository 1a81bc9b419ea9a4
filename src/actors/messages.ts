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
  /**
   * A worker's proof that it received the dispatch this fact answers: HMAC of the fact under
   * that dispatch's reply key (trust/reply-proof.ts). Facts from the bus without a valid one are
   * refused; the engine's own facts reach its run host in-process and carry none.
   */
  proof: z.string().max(200).optional(),
});
export type InboundEvent = z.infer<typeof inboundEventSchema>;

/** `lily.<ns>.in.<runId>`: facts about one run. */
export const inboxMessageSchema = z.object({
  runId: runIdSchema,
  events: z.array(inboundEventSchema).min(1).max(10_000),
});
export type InboxMessage = z.infer<typeof inboxMessageSchema>;

/**
 * What the engine seals into a dispatch at send time (trust/engine-seals.ts), outside the
 * recorded `data`, so it is never in the log nor on an `evt` subject: the grant of this one
 * dispatch (Ed25519-signed claims a worker verifies with the engine's public key) and the key
 * its replies are proven with. Only the engine and the worker that takes the dispatch from its
 * queue group read it.
 */
export const dispatchSealSchema = z.object({
  grant: z.string().min(1).max(65_536),
  replyKey: z.string().min(1).max(100),
});
export type DispatchSeal = z.infer<typeof dispatchSealSchema>;

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
    seal: dispatchSealSchema.optional(),
    traceparent: traceparentSchema,
  }),
  z.object({
    kind: z.literal('gate'),
    runId: runIdSchema,
    jobId: z.string(),
    data: EVENT_DATA_SCHEMAS['gate.dispatched'],
    seal: dispatchSealSchema.optional(),
    traceparent: traceparentSchema,
  }),
  z.object({
    kind: z.literal('partition'),
    runId: runIdSchema,
    jobId: z.string(),
    data: EVENT_DATA_SCHEMAS['partition.requested'],
    seal: dispatchSealSchema.optional(),
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

/**
 * `lily.<ns>.cmd.sched`: run requests and cancels (each answered). Timers are not on the bus:
 * the run host hands them to its scheduler in-process.
 */
export const schedMessageSchema = z.discriminatedUnion('type', [
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

/**
 * `lily.<ns>.cmd.answer`: what a person answers, sent to the engine as a request (operators
 * may publish here; workers may not): an approval's grant or denial, and the outcome of a
 * dispatch whose effect is unknown (`lily runs resolve`). The engine records and delivers it.
 */
export const answerMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('approval.answer'),
    approvalId: z.string().min(1).max(400),
    granted: z.boolean(),
    by: z.string().min(1).max(200),
    comment: z.string().max(4_000).optional(),
    reason: z.string().max(4_000).optional(),
  }),
  z.object({
    type: z.literal('run.resolve'),
    /** Any string: the engine answers `run_not_found` for one that names no run. */
    runId: z.string().max(100),
    dispatchId: z.string().min(1).max(400),
    outcome: z.enum(['succeeded', 'failed']),
    output: jsonSchema.optional(),
    reason: z.string().max(4_000).optional(),
    by: z.string().min(1).max(200),
  }),
]);
export type AnswerMessage = z.infer<typeof answerMessageSchema>;

/** The reply to a `cmd.answer` request: what was recorded, or the error that refused it. */
export const answerReplySchema = z.union([
  z.object({ ok: z.literal(true), result: z.record(z.string(), z.unknown()) }),
  z.object({
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string(), data: z.record(z.string(), z.unknown()) }),
  }),
]);
export type AnswerReply = z.infer<typeof answerReplySchema>;

/** `lily.<ns>.sys.ping` reply. */
export const pingReplySchema = z.object({
  actor: z.string(),
  role: z.enum(['engine', 'worker']),
  pid: z.number(),
  /** The machine it runs on (workers connect from anywhere). */
  host: z.string().optional(),
  startedAt: z.number(),
  version: z.string(),
  inFlight: z.number(),
  executors: z.array(z.string()).default([]),
  details: jsonSchema.optional(),
});
export type PingReply = z.infer<typeof pingReplySchema>;
